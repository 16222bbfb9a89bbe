import net from 'node:net';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isAlive, makeRelease, startDaemon, startDaemonIn, type TestDaemon } from '../helpers/test-daemon.js';
import { failures, startLoad, whenAnswered } from '../helpers/load.js';
import { RESTART_BACKOFF_MAX_MS } from '../../src/defaults.js';
import { request } from '../helpers/http-client.js';
import { eventually } from '../helpers/eventually.js';
import { runCli } from '../helpers/cli.js';

/** Every instance's pid; at least one instance runs, and each has a pid (a missing one must fail, not be skipped). */
function pids(status: Awaited<ReturnType<TestDaemon['status']>>): number[] {
  const list = [...status.slots.a.instances, ...status.slots.b.instances].map((i) => i.pid);
  expect(list.length).toBeGreaterThan(0);
  expect(list.every((pid) => typeof pid === 'number' && pid > 0), `pids ${JSON.stringify(list)}`).toBe(true);
  return list as number[];
}

async function readState(daemon: TestDaemon): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(path.join(daemon.dir, 'state/slotswap.json'), 'utf8')) as Record<string, unknown>;
}

async function portAccepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('an instance crash', () => {
  for (const instances of [2, 1]) {
    it(`restarts a killed instance and loses no request of 50 clients, with instances: ${instances}`, { timeout: 60_000 }, async () => {
      const daemon = await startDaemon({ instances });
      let stop = false;
      // GET only: a request with a body that was in flight inside the killed process cannot be replayed safely.
      const load = startLoad({ baseUrl: daemon.proxyUrl, clients: 50, stop: () => stop, maxMs: 30_000 });
      await whenAnswered(load, 100);
      const victim = (await daemon.status()).slots.a.instances[0]!.pid!;
      process.kill(victim, 'SIGKILL');
      await eventually(async () => {
        const status = await daemon.status();
        expect((status.slots.a as unknown as { restarts: number }).restarts).toBe(1);
        expect(status.slots.a.healthy).toBe(instances);
      }, 15_000);
      // Traffic goes on after the restart, so the new instance is seen serving.
      await whenAnswered(load, 100, Date.now());
      stop = true;
      const outcomes = await load.done;
      expect(failures(outcomes)).toEqual([]);
      // Enough traffic to have met the crash; the exact count depends on how busy the machine is.
      expect(outcomes.length).toBeGreaterThan(100);
      expect(isAlive(victim)).toBe(false);
      console.log(`instance crash (instances: ${instances}): ${outcomes.length} requests, ${failures(outcomes).length} failed`);
    });
  }

  it('reports a crash-looping release in status and history and stops restarting it', { timeout: 60_000 }, async () => {
    const daemon = await startDaemon();
    const crashing = await makeRelease(daemon.dir, 'crashing', {
      version: '1.1.0',
      start: ['node', '--input-type=module', '-e', "await import('./server.mjs'); setTimeout(() => { console.error('out of memory, pid=' + process.pid); process.exit(7); }, 400);"],
    });
    expect((await daemon.cli(['deploy', crashing])).code).toBe(0);
    const history = await eventually(async () => {
      const entries = ((await daemon.api('GET', '/api/history?limit=5')).json as { entries: { op: string; outcome: string; error: string | null }[] }).entries;
      expect(entries[0]!.op).toBe('crash-loop');
      return entries;
    }, 30_000);
    expect(history[0]!.outcome).toBe('failed');
    expect(history[0]!.error).toMatch(/exited 5 times within 60 s; not restarted again/);
    expect(history[0]!.error).toMatch(/out of memory/);
    const slotB = async () => (await daemon.status()).slots.b as unknown as { crashLoop: boolean; restarts: number; instances: { pid: number | null; running: boolean }[] };
    const given = await slotB();
    expect(given.crashLoop).toBe(true);
    // Each of the CRASH_LOOP_LIMIT (5) restarts that were tried counts once it was healthy.
    expect(given.restarts).toBeGreaterThan(0);
    expect(given.restarts).toBeLessThanOrEqual(5);
    expect(given.instances.every((i) => !i.running)).toBe(true);
    // No event marks a restart that never comes: watch for one for longer than the longest restart backoff.
    const until = Date.now() + RESTART_BACKOFF_MAX_MS + 2_000;
    while (Date.now() < until) {
      const now = await slotB();
      expect(now.restarts, 'restarts after the crash loop was reported').toBe(given.restarts);
      expect(now.instances.some((i) => i.running), 'an instance was started again after the crash loop').toBe(false);
      await new Promise((r) => setTimeout(r, 100));
    }
  });
});

describe('a daemon crash', () => {
  it('restores the live release (adopting its instances), manifest, notice and history after kill -9, holding requests until it serves', { timeout: 90_000 }, async () => {
    const first = await startDaemon();
    expect((await first.cli(['deploy', `${first.dir}/sites/sample-api`, '--version', '1.1.0', '--wait-drain'])).code).toBe(0);
    expect((await first.cli(['notice', 'set', 'Please update', '--mandatory'])).code).toBe(0);
    const before = await readState(first);
    const manifestBefore = JSON.parse((await request(`${first.proxyUrl}/AppRun.json`)).body) as Record<string, unknown>;
    const orphans = pids(await first.status());
    // Only the daemon dies: its instances are left behind, holding their ports, as after a real crash.
    first.process.kill('SIGKILL');
    await first.exited;
    expect(orphans.every(isAlive)).toBe(true);

    const port = Number(new URL(first.proxyUrl).port);
    const second = startDaemonIn(first.project, { waitLive: false });
    await eventually(async () => expect(await portAccepts(port)).toBe(true), 20_000);
    const early = await request(`${first.proxyUrl}/`);
    const daemon = await second;
    expect(early.status).toBe(200);
    expect(JSON.parse(early.body).version).toBe('1.1.0');

    // Issue 15: the live slot's instances are adopted, not reaped and started again.
    expect(orphans.every(isAlive)).toBe(true);
    expect(daemon.output()).toMatch(/slot b: adopted sample-api 1\.1\.0 still running as pid/);
    const status = await daemon.status();
    expect(pids(status)).toEqual(orphans);
    expect(status.live).toBe('b');
    expect(status.slots.b.version).toBe('1.1.0');
    const manifest = JSON.parse((await request(`${daemon.proxyUrl}/AppRun.json`)).body) as Record<string, unknown>;
    expect(manifest).toMatchObject({ version: '1.1.0', slot: 'b', notice: { message: 'Please update', mandatory: true } });
    expect(manifest.webApiUrl).toBe(manifestBefore.webApiUrl);
    const after = await readState(daemon);
    expect((after.history as unknown[]).slice(0, (before.history as unknown[]).length)).toEqual(before.history);
    // Adopted instances are routed to within milliseconds of listening, so the early request need not have waited.
  });

  it('refuses a second daemon on the same state folder and leaves the first one serving', { timeout: 60_000 }, async () => {
    const first = await startDaemon();
    const instancePids = pids(await first.status());
    const second = await runCli(['start', '--config', first.configFile], { timeoutMs: 20_000 });
    expect(second.code).toBe(4);
    expect(second.stderr).toMatch(new RegExp(`another slotswap daemon \\(pid ${first.process.pid}\\) already runs`));
    expect(instancePids.every(isAlive)).toBe(true);
    expect((await request(`${first.proxyUrl}/`)).status).toBe(200);
  });

  it('cleans a half-deployed slot after kill -9 during the health phase and marks the deploy interrupted', { timeout: 90_000 }, async () => {
    const first = await startDaemon({ health: { intervalMs: 50, timeoutMs: 20_000 } });
    const slow = await makeRelease(first.dir, 'slow', { version: '1.1.0', start: ['node', '--input-type=module', '-e', "setTimeout(() => import('./server.mjs'), 5000);"] });
    const deploying = first.cli(['deploy', slow]);
    // The health phase: the slot is starting and its instance runs (it was spawned after "starting" was written).
    const halfDeployed = await eventually(async () => {
      const b = (await first.status()).slots.b;
      expect(b.state).toBe('starting');
      const pids = b.instances.map((i) => i.pid).filter((pid): pid is number => typeof pid === 'number');
      expect(pids.length).toBeGreaterThan(0);
      return pids;
    }, 10_000);
    first.process.kill('SIGKILL');
    await first.exited;
    expect((await deploying).code).not.toBe(0);

    const daemon = await startDaemonIn(first.project);
    expect(halfDeployed.some(isAlive)).toBe(false);
    const status = await daemon.status();
    expect(status.live).toBe('a');
    expect(status.slots.b.state).toBe('failed');
    expect(JSON.parse((await request(`${daemon.proxyUrl}/`)).body).version).toBe('1.0.0');
    const history = ((await daemon.api('GET', '/api/history?limit=5')).json as { entries: { op: string; outcome: string; toVersion: string | null }[] }).entries;
    expect(history.find((e) => e.toVersion === '1.1.0')).toMatchObject({ op: 'deploy', outcome: 'interrupted' });
    expect((await readState(daemon)).pending).toBeNull();
    // The slot can be deployed to again.
    expect((await daemon.cli(['deploy', `${daemon.dir}/sites/sample-api`, '--version', '1.2.0'])).code).toBe(0);
  });

  it('finishes every in-flight request on SIGTERM under load, stops the instances, persists and exits 0', { timeout: 60_000 }, async () => {
    const daemon = await startDaemon();
    const instancePids = pids(await daemon.status());
    let stop = false;
    const load = startLoad({ baseUrl: daemon.proxyUrl, clients: 50, stop: () => stop, maxMs: 20_000, kinds: ['get', 'slow', 'post'] });
    // Enough traffic, with slow requests in flight, before the signal.
    await whenAnswered(load, 150);
    const sigtermAt = Date.now();
    daemon.process.kill('SIGTERM');
    const code = await daemon.exited;
    stop = true;
    const outcomes = await load.done;
    expect(code).toBe(0);
    const inFlight = outcomes.filter((o) => o.start < sigtermAt);
    expect(inFlight.length).toBeGreaterThan(100);
    expect(failures(inFlight)).toEqual([]);
    expect(inFlight.filter((o) => o.kind === 'slow' && o.end > sigtermAt).length).toBeGreaterThan(0);
    expect(instancePids.some(isAlive)).toBe(false);
    const state = await readState(daemon);
    expect(state.live).toBe('a');
    expect(state.pending).toBeNull();
    expect(daemon.output()).toMatch(/slotswap: stopped/);
  });
});
