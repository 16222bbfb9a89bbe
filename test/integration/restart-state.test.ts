// What lived in the old daemon's memory survives slotswap restart: a drain in progress (on the same instances), an
// operator hold, the notice; SIGUSR2 restarts like the command; a restart waits for a running operation.
import { describe, expect, it, onTestFinished } from 'vitest';
import { WebSocket } from 'ws';
import { makeRelease, startDaemon } from '../helpers/test-daemon.js';
import { request } from '../helpers/http-client.js';
import { eventually } from '../helpers/eventually.js';
import { daemonInfo, processGone, stopCurrentDaemonAtEnd } from '../helpers/restarted-daemon.js';
import { settled } from '../helpers/settled.js';

describe('state across slotswap restart', () => {
  it('keeps draining the old slot on its own instances, keeps an operator hold and the notice', { timeout: 180_000 }, async () => {
    // The grace outlasts a restart on a loaded machine (a 4 s one had ended before the status was read).
    const daemon = await startDaemon({ drain: { graceMs: 60_000, idleMs: 100, timeoutMs: 120_000 } });
    stopCurrentDaemonAtEnd(daemon.dir);
    const v2 = await makeRelease(daemon.dir, 'v2', { version: '1.1.0' });
    expect((await daemon.cli(['deploy', v2], 90_000)).code).toBe(0);
    const draining = await daemon.status();
    expect(draining.slots.a.state).toBe('draining');
    const drainingPids = draining.slots.a.instances.map((i) => i.pid);
    expect((await daemon.cli(['notice', 'set', 'maintenance at noon'])).code).toBe(0);
    expect((await daemon.cli(['hold'])).code).toBe(0);

    const restarted = await daemon.cli(['restart', '--json'], 90_000);
    expect(restarted.code, restarted.stderr).toBe(0);
    const status = await daemon.status();
    expect(status.slots.a.state).toBe('draining');
    expect(status.slots.a.instances.map((i) => i.pid)).toEqual(drainingPids);
    expect((status.slots.a as unknown as { drain: unknown }).drain).not.toBeNull();
    expect((status.hold as { on: boolean; reasons: string[] }).reasons).toEqual(['operator']);
    expect(JSON.stringify(status.manifest)).toContain('maintenance at noon');

    // The hold is the new daemon's: a request waits, and resume lets it through.
    const held = request(`${daemon.proxyUrl}/`);
    await eventually(async () => expect(((await daemon.status()).hold as { queued: number }).queued).toBe(1));
    expect((await daemon.cli(['resume'])).code).toBe(0);
    expect((await held).status).toBe(200);

    // The new daemon owns the drain: ended now, the old slot stops.
    expect((await daemon.cli(['drain', '--now'])).code).toBe(0);
    await eventually(async () => expect((await daemon.status()).slots.a.state).toBe('stopped'), 30_000);
    for (const pid of drainingPids) expect(await processGone(pid!, 10_000)).toBe(true);
  });

  it('restarts on SIGUSR2, and a restart during a deploy waits for it to finish', { timeout: 180_000 }, async () => {
    const daemon = await startDaemon();
    stopCurrentDaemonAtEnd(daemon.dir);
    const first = (await daemonInfo(daemon.dir)).pid;
    process.kill(first, 'SIGUSR2');
    expect(await processGone(first, 60_000)).toBe(true);
    const second = (await daemonInfo(daemon.dir)).pid;
    expect(second).not.toBe(first);
    expect(((await daemon.status()).daemon as { pid: number }).pid).toBe(second);
    const entries = (await daemon.api('GET', '/api/history')).json.entries as { op: string; actor: string; outcome: string; steps: { detail: string }[] }[];
    expect(entries[0]).toMatchObject({ op: 'restart', actor: 'signal', outcome: 'ok' });
    expect(entries[0]!.steps[0]!.detail).toMatch(new RegExp(`^daemon pid ${first} \\(slotswap [^)]+\\) -> pid ${second} `));

    // A release that takes about 2 s to become healthy: the restart asked meanwhile waits, then goes through.
    const slow = await makeRelease(daemon.dir, 'slow', { version: '1.2.0', start: ['sh', '-c', 'sleep 2; exec node server.mjs'] });
    const deploy = daemon.cli(['deploy', slow], 90_000);
    await eventually(async () => expect(((await daemon.status()).operation as { op: string } | null)?.op).toBe('deploy'), 20_000);
    const restarted = await daemon.cli(['restart', '--json'], 90_000);
    expect(restarted.code, `${restarted.stdout}${restarted.stderr}\n${daemon.output().slice(-4000)}`).toBe(0);
    expect((await deploy).code).toBe(0);
    await settled(daemon);
    const status = await daemon.status();
    expect(status.slots[status.live!].version).toBe('1.2.0');
    expect((status.daemon as { pid: number }).pid).toBe((JSON.parse(restarted.stdout) as { newPid: number }).newPid);
  });

  it('closes a WebSocket of the old daemon with 1001 (going away), and a new one opens through the new daemon', { timeout: 120_000 }, async () => {
    const daemon = await startDaemon();
    stopCurrentDaemonAtEnd(daemon.dir);
    const url = `${daemon.proxyUrl.replace(/^http/, 'ws')}/ws`;
    const open = () =>
      new Promise<WebSocket>((resolve, reject) => {
        const ws = new WebSocket(url, { handshakeTimeout: 5_000 });
        onTestFinished(() => ws.terminate());
        ws.on('error', reject);
        ws.once('open', () => resolve(ws));
      });
    const old = await open();
    const closed = new Promise<number>((resolve) => old.once('close', (code) => resolve(code)));
    const restarted = await daemon.cli(['restart'], 90_000);
    expect(restarted.code, restarted.stderr).toBe(0);
    expect(await closed, '1006 would mean dropped without a close frame').toBe(1001);
    const fresh = await open();
    const echo = new Promise<string>((resolve) => fresh.once('message', (data: Buffer) => resolve(data.toString('utf8'))));
    fresh.send('after the restart');
    expect(await echo).toContain('after the restart');
  });
});
