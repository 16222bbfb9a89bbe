// A restart whose new daemon cannot take over (bad config, a moved port) fails with the reason; the old daemon keeps serving.
import { readFile, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { startDaemon, type TestDaemon } from '../helpers/test-daemon.js';
import { failures, startLoad, whenAnswered } from '../helpers/load.js';
import { daemonInfo, stopCurrentDaemonAtEnd } from '../helpers/restarted-daemon.js';
import { freePortRange } from '../helpers/ports.js';

async function editConfig(daemon: TestDaemon, edit: (config: Record<string, any>) => void): Promise<string> {
  const original = await readFile(daemon.configFile, 'utf8');
  const config = JSON.parse(original) as Record<string, any>;
  edit(config);
  await writeFile(daemon.configFile, JSON.stringify(config, null, 2));
  return original;
}

describe('a restart that cannot take over', () => {
  it('fails with the config error, and the old daemon keeps serving 50 clients without a failed request', { timeout: 180_000 }, async () => {
    const daemon = await startDaemon({ instances: 2 });
    stopCurrentDaemonAtEnd(daemon.dir);
    const pid = (await daemonInfo(daemon.dir)).pid;
    const live = (await daemon.status()).live!;
    const instancePids = (await daemon.status()).slots[live].instances.map((i) => i.pid);
    let stop = false;
    const load = startLoad({ baseUrl: daemon.proxyUrl, clients: 50, stop: () => stop, maxMs: 120_000, kinds: ['get', 'post'] });
    await whenAnswered(load, 200);

    const original = await editConfig(daemon, (c) => (c.health = { ...c.health, timeoutMs: -5 }));
    // With the URL and token given the CLI does not read the (now invalid) config itself: the daemon's new process does.
    const invalid = await daemon.cli(['restart', '--admin-url', daemon.adminUrl, '--token', daemon.token], 90_000);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(/the new daemon could not start: .*"health\.timeoutMs": expected an integer from 100 to 3600000, got -5/s);
    expect(invalid.stderr).toMatch(new RegExp(`This daemon \\(pid ${pid}\\) keeps serving`));
    await whenAnswered(load, 200, Date.now());

    await writeFile(daemon.configFile, original);
    const otherPort = await freePortRange(2);
    await editConfig(daemon, (c) => (c.slots[live].port = otherPort));
    const movedSlot = await daemon.cli(['restart'], 90_000);
    expect(movedSlot.code).toBe(1);
    expect(movedSlot.stderr).toMatch(new RegExp(`cannot take over slot ${live} .*slots\\.${live}\\.port now gives it ${otherPort}`));
    await whenAnswered(load, 200, Date.now());

    await writeFile(daemon.configFile, original);
    await editConfig(daemon, (c) => (c.proxy.port = otherPort));
    const movedProxy = await daemon.cli(['restart'], 90_000);
    expect(movedProxy.code).toBe(1);
    expect(movedProxy.stderr).toMatch(/"proxy\.host\/proxy\.port" changed from 127\.0\.0\.1:\d+ to 127\.0\.0\.1:\d+: slotswap restart keeps the listening sockets/);
    await whenAnswered(load, 200, Date.now());

    stop = true;
    const outcomes = await load.done;
    expect(failures(outcomes).slice(0, 5)).toEqual([]);
    expect((await daemonInfo(daemon.dir)).pid).toBe(pid);
    const status = await daemon.status();
    expect((status.daemon as { pid: number }).pid).toBe(pid);
    expect(status.slots[live].instances.map((i) => i.pid)).toEqual(instancePids);

    // And once the config is right again, the restart goes through.
    await writeFile(daemon.configFile, original);
    const fixed = await daemon.cli(['restart'], 90_000);
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(fixed.stdout).toMatch(new RegExp(`restarted: daemon pid ${pid} -> \\d+`));
  });
});
