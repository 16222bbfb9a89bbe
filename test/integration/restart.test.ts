// slotswap restart under load: a new daemon takes over the sockets and the instances; nothing is refused or restarted.
import { describe, expect, it } from 'vitest';
import { makeRelease, startDaemon } from '../helpers/test-daemon.js';
import { failures, startLoad, whenAnswered } from '../helpers/load.js';
import { daemonInfo, processGone, stopCurrentDaemonAtEnd } from '../helpers/restarted-daemon.js';
import { settled } from '../helpers/settled.js';

interface RestartAnswer {
  oldPid: number;
  newPid: number;
  version: string;
  ms: number;
}

describe('slotswap restart', () => {
  it('hands over five times under 50 keep-alive clients with no failed request, the same instances and version, and a deploy after', { timeout: 240_000 }, async () => {
    const daemon = await startDaemon({ instances: 2 });
    stopCurrentDaemonAtEnd(daemon.dir);
    const before = await daemon.status();
    const live = before.live!;
    const instancePids = before.slots[live].instances.map((i) => i.pid);
    const version = before.slots[live].version;
    let stop = false;
    const load = startLoad({ baseUrl: daemon.proxyUrl, clients: 50, stop: () => stop, maxMs: 180_000, kinds: ['get', 'post', 'slow'] });
    await whenAnswered(load, 200);
    const daemonPids = [(await daemonInfo(daemon.dir)).pid];
    const restartMs: number[] = [];
    for (let round = 0; round < 5; round++) {
      const restarted = await daemon.cli(['restart', '--json'], 120_000);
      expect(restarted.code, `restart ${round + 1}: ${restarted.stderr}\n${daemon.output().slice(-3000)}`).toBe(0);
      const answer = JSON.parse(restarted.stdout) as RestartAnswer;
      expect(answer.oldPid).toBe(daemonPids.at(-1));
      expect(daemonPids).not.toContain(answer.newPid);
      daemonPids.push(answer.newPid);
      restartMs.push(answer.ms);
      expect(await processGone(answer.oldPid, 30_000), `old daemon ${answer.oldPid} exited`).toBe(true);
      expect((await daemonInfo(daemon.dir)).pid).toBe(answer.newPid);
      // Traffic really met the new daemon before the next round.
      await whenAnswered(load, 300, Date.now());
      const status = await daemon.status();
      expect((status.daemon as { pid: number }).pid).toBe(answer.newPid);
      expect(status.live).toBe(live);
      expect(status.slots[live].version).toBe(version);
      expect(status.slots[live].instances.map((i) => i.pid)).toEqual(instancePids);
    }
    stop = true;
    const outcomes = await load.done;
    expect(failures(outcomes).slice(0, 5)).toEqual([]);
    expect(outcomes.length).toBeGreaterThan(1_500);
    console.log(`5 restarts under 50 clients: ${outcomes.length} requests, ${failures(outcomes).length} failed; restart took ${restartMs.join(', ')} ms; daemon pids ${daemonPids.join(' -> ')}`);
    expect(await daemon.exited, 'the first daemon exits 0 after handing over').toBe(0);

    const release = await makeRelease(daemon.dir, 'after-restart', { version: '1.1.0' });
    const deployed = await daemon.cli(['deploy', release], 120_000);
    expect(deployed.code, deployed.stderr).toBe(0);
    await settled(daemon);
    const after = await daemon.status();
    expect(after.slots[after.live!].version).toBe('1.1.0');
  });
});
