// Hotswap mode through slotswap restart: the executable's instances are kept, also after a hotswap taught the
// daemon the version the executable reports (its instances were started before that version was known).
import { describe, expect, it } from 'vitest';
import { buildExe, startHotswapDaemon } from '../helpers/hotswap-project.js';
import { failures, startLoad, whenAnswered } from '../helpers/load.js';
import { stopCurrentDaemonAtEnd } from '../helpers/restarted-daemon.js';

describe('slotswap restart in hotswap mode', () => {
  it('keeps the executable instances after a hotswap, with no failed request', { timeout: 180_000 }, async () => {
    const daemon = await startHotswapDaemon();
    stopCurrentDaemonAtEnd(daemon.dir);
    const exe = await buildExe(daemon.dir, 'server-1.2.0', { version: '1.2.0' });
    const swapped = await daemon.cli(['hotswap', exe], 90_000);
    expect(swapped.code, swapped.stderr).toBe(0);
    const before = await daemon.status();
    const pids = before.slots.a.instances.map((i) => i.pid);
    expect(before.slots.a.version).toBe('1.2.0');

    let stop = false;
    const load = startLoad({ baseUrl: daemon.proxyUrl, clients: 20, stop: () => stop, maxMs: 90_000 });
    await whenAnswered(load, 100);
    const restarted = await daemon.cli(['restart'], 90_000);
    expect(restarted.code, restarted.stderr).toBe(0);
    await whenAnswered(load, 100, Date.now());
    stop = true;
    expect(failures(await load.done).slice(0, 5)).toEqual([]);
    const after = await daemon.status();
    expect(after.slots.a.instances.map((i) => i.pid)).toEqual(pids);
    expect(after.slots.a.version).toBe('1.2.0');
  });
});
