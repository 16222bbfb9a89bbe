// Defect 3 of issue 11, as a user meets it: the daemon is killed (SIGKILL, from outside) while a new release that
// will never be healthy is in its health check, in place; the next start must serve the last healthy one by itself.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeRelease, startDaemon, startDaemonIn, type TestDaemon } from '../helpers/test-daemon.js';
import { buildExe, startHotswapDaemon } from '../helpers/hotswap-project.js';
import { eventually } from '../helpers/eventually.js';
import { request } from '../helpers/http-client.js';

const NEVER_LISTENS = 'setInterval(() => {}, 1000);';

async function served(daemon: TestDaemon): Promise<string> {
  return (JSON.parse((await request(`${daemon.proxyUrl}/`)).body) as { version: string }).version;
}

/** Waits until the replacement is in its health step with the new instances running, then kills the daemon. */
async function killDuringHealth(daemon: TestDaemon, op: string, oldPids: (number | null)[]): Promise<void> {
  await eventually(async () => {
    const status = await daemon.status();
    expect((status.operation as { op: string } | null)?.op).toBe(op);
    const pids = status.slots.a.instances.map((i) => i.pid);
    expect(pids.length).toBeGreaterThan(0);
    expect(pids.some((pid) => oldPids.includes(pid))).toBe(false);
  }, 20_000);
  daemon.process.kill('SIGKILL');
  await daemon.exited;
}

describe('a daemon killed while an unchecked release is being swapped in', () => {
  it('hotswap: the next start puts the executable that was live back and serves it', { timeout: 90_000 }, async () => {
    const first = await startHotswapDaemon({ health: { intervalMs: 20, timeoutMs: 30_000 } });
    const before = (await first.status()).slots.a.instances.map((i) => i.pid);
    const broken = await buildExe(first.dir, 'broken', { version: '9.0.0', body: NEVER_LISTENS });
    const updating = first.cli(['hotswap', broken]);
    await killDuringHealth(first, 'hotswap', before);
    await updating;

    const daemon = await startDaemonIn(first.project);
    expect(await served(daemon)).toBe('1.0.0');
    const status = await daemon.status();
    expect(status.slots.a.version).toBe('1.0.0');
    const deploy = (await readdir(path.join(daemon.dir, 'deploy'))).sort();
    expect(deploy).toEqual(['server', 'server.rejected']);
    // Start-up prints its notes once it is over, which may be just after the slot serves.
    await eventually(() => expect(daemon.output()).toMatch(/interrupted hotswap was rolled back/));
    // The swapped-back file is byte for byte the one the state records.
    const state = JSON.parse(await readFile(path.join(daemon.dir, 'state/slotswap.json'), 'utf8')) as { slots: { a: { release: { sha256: string } } } };
    const { createHash } = await import('node:crypto');
    expect(createHash('sha256').update(await readFile(path.join(daemon.dir, 'deploy/server'))).digest('hex')).toBe(state.slots.a.release.sha256);
  });

  it('deploy --in-place: the next start puts the folder that was live back and serves it', { timeout: 90_000 }, async () => {
    const first = await startDaemon({ health: { intervalMs: 20, timeoutMs: 30_000 } });
    const before = (await first.status()).slots.a.instances.map((i) => i.pid);
    const broken = await makeRelease(first.dir, 'broken', { version: '1.1.0', start: ['node', '-e', NEVER_LISTENS] });
    const deploying = first.cli(['deploy', broken, '--in-place']);
    await killDuringHealth(first, 'deploy --in-place', before);
    await deploying;

    const daemon = await startDaemonIn(first.project);
    expect(await served(daemon)).toBe('1.0.0');
    expect((await daemon.status()).slots.a.version).toBe('1.0.0');
    const sites = (await readdir(path.join(daemon.dir, 'sites'))).sort();
    expect(sites).toEqual(['a', 'a.rejected', 'sample-api']);
    await eventually(() => expect(daemon.output()).toMatch(/interrupted in-place deploy was rolled back/));
    // The release in sites/a is the sample again, not the broken one.
    expect(JSON.parse(await readFile(path.join(daemon.dir, 'sites/a/release.json'), 'utf8')).version).toBe('1.0.0');
  });
});
