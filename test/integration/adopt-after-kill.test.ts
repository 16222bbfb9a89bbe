// A daemon killed with -9 leaves its instances running (their output goes to files, not to its pipes); the next start
// adopts them instead of stopping and starting them again. Requests in the gap are refused: no daemon holds the port.
import { readFile, readlink } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isAlive, startDaemon, startDaemonIn } from '../helpers/test-daemon.js';
import { request } from '../helpers/http-client.js';
import { eventually } from '../helpers/eventually.js';

describe('a start after kill -9 of the daemon', () => {
  it('adopts the running instances (same pids), restarts nothing that was live, and keeps their logs', { timeout: 120_000 }, async () => {
    const first = await startDaemon({ instances: 2 });
    const before = await first.status();
    const live = before.live!;
    const pids = before.slots[live].instances.map((i) => i.pid!);
    const history = ((await first.api('GET', '/api/history')).json.entries as unknown[]).length;

    // Its output goes to its own log file, not to a pipe of the daemon.
    expect(await readlink(`/proc/${pids[0]}/fd/1`)).toBe(path.join(first.dir, 'state/logs', `${live}-1.log`));
    expect(await readlink(`/proc/${pids[0]}/fd/2`)).toBe(path.join(first.dir, 'state/logs', `${live}-1.log`));
    first.process.kill('SIGKILL');
    await first.exited;
    for (const pid of pids) expect(isAlive(pid), `instance pid ${pid} survives its daemon`).toBe(true);
    // The gap: nothing listens on the public port.
    await expect(request(`${first.proxyUrl}/`)).rejects.toThrow(/ECONNREFUSED/);
    // The instances still serve on their own ports and still write to their log files.
    const port = before.slots[live].instances[0]!.port;
    expect((await request(`http://127.0.0.1:${port}/`)).status).toBe(200);

    const second = await startDaemonIn(first.project);
    const after = await second.status();
    expect(after.live).toBe(live);
    expect(after.slots[live].instances.map((i) => i.pid)).toEqual(pids);
    // Adopted instances are routed once start-up recovery is over (until then requests wait, none fails).
    await eventually(async () => expect((await second.status()).slots[live].healthy).toBe(2), 20_000);
    expect(second.output()).toMatch(new RegExp(`slot ${live}: adopted sample-api 1\\.0\\.0 still running as pid ${pids.join(', ')}`));
    expect(second.output()).not.toMatch(/\[start-up\] ok {3}start/);
    expect(((await second.api('GET', '/api/history')).json.entries as unknown[]).length).toBe(history);
    expect((await request(`${second.proxyUrl}/`)).status).toBe(200);

    const log = await readFile(path.join(first.dir, 'state/logs', `${live}-1.log`), 'utf8');
    expect(log).toContain(`sample-api 1.0.0 slot ${live} instance 1 pid ${pids[0]}`);
    expect(log).toMatch(new RegExp(`adopted pid ${pids[0]}`));
    const tail = await second.cli(['logs', live, '--lines', '20']);
    expect(tail.stdout).toContain(`adopted pid ${pids[0]}`);

    // The adopted instances are stopped with the daemon that adopted them.
    expect(await second.stop()).toBe(0);
    await eventually(() => {
      for (const pid of pids) expect(isAlive(pid), `pid ${pid} stopped`).toBe(false);
    }, 15_000);
  });

  it('starts the live slot again when its recorded instance is gone', { timeout: 120_000 }, async () => {
    const first = await startDaemon();
    const before = await first.status();
    const live = before.live!;
    const pid = before.slots[live].instances[0]!.pid!;
    first.process.kill('SIGKILL');
    await first.exited;
    process.kill(-pid, 'SIGKILL');
    await eventually(() => expect(isAlive(pid)).toBe(false));
    const second = await startDaemonIn(first.project);
    const after = await eventually(async () => {
      const status = await second.status();
      expect(status.slots[live].healthy).toBe(1);
      return status;
    }, 20_000);
    expect(after.slots[live].instances[0]!.pid).not.toBe(pid);
    expect(second.output()).toMatch(new RegExp(`slot ${live}: not adopted \\(instance ${live}-1 \\(pid ${pid}\\) no longer runs`));
    expect((await request(`${second.proxyUrl}/`)).status).toBe(200);
  });
});
