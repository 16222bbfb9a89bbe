// Acceptance (issue 17): a node's daemon killed (SIGKILL) during a fleet deploy's health phase fails the deploy
// cleanly (exit 1 naming it, nothing flipped anywhere); restarted, it answers ready on the fleet's live release,
// and the retried deploy succeeds on every node.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEtcdCluster, type EtcdCluster } from '../helpers/etcd-cluster.js';
import { allRegistered, everyNodeServes, servedVersion, startFleet } from '../helpers/fleet-nodes.js';
import { makeRelease, startDaemonIn } from '../helpers/test-daemon.js';
import { failures, startLoad, whenAnswered } from '../helpers/load.js';
import { request } from '../helpers/http-client.js';
import { eventually } from '../helpers/eventually.js';

let cluster: EtcdCluster;
beforeAll(async () => {
  cluster = await startEtcdCluster(3);
});
afterAll(async () => {
  await cluster?.stop();
});

describe('a fleet node killed during a deploy', () => {
  it('fails the deploy naming the node, flips nothing, and the restarted node comes back on the fleet release', async () => {
    const nodes = await startFleet(cluster.endpoints, 3);
    await allRegistered(nodes, 3);
    const first = await nodes[0]!.daemon.cli(['deploy', await makeRelease(nodes[0]!.daemon.dir, 'r-1.1.0', { version: '1.1.0' })], 60_000);
    expect(first.code, first.stderr).toBe(0);
    await everyNodeServes(nodes, '1.1.0', 1_000);

    let stopped = false;
    const loads = nodes.slice(0, 2).map((n) => startLoad({ baseUrl: n.daemon.proxyUrl, clients: 5, stop: () => stopped, maxMs: 50_000 }));
    try {
      await Promise.all(loads.map((l) => whenAnswered(l, 10)));
      // Never healthy for 3 s: long enough to kill node3 while every node waits in its health step. One process
      // throughout (no sh -c ... exec): the restarted daemon recognises it by its command line and reaps it.
      const slow = await makeRelease(nodes[0]!.daemon.dir, 'slow-1.2.0', { version: '1.2.0', start: ['node', '-e', "setTimeout(() => import('./server.mjs'), 3000)"] });
      const deploying = nodes[0]!.daemon.cli(['deploy', slow], 60_000);
      const victim = nodes[2]!;
      await eventually(async () => expect((await victim.daemon.status()).operation).toMatchObject({ op: 'fleet-prepare' }), 20_000);
      victim.daemon.process.kill('SIGKILL');
      await victim.daemon.exited;
      const failed = await deploying;
      expect(failed.code, failed.stdout + failed.stderr).toBe(1);
      expect(failed.stderr).toMatch(/fleet deploy failed on node node3: .*nothing was flipped/);
      for (const node of nodes.slice(0, 2)) {
        expect(await servedVersion(node)).toBe('1.1.0');
        await eventually(async () => {
          const status = await node.daemon.status();
          expect(['stopped', 'failed']).toContain(status.slots[status.live === 'a' ? 'b' : 'a'].state);
        }, 10_000);
      }

      const restarted = await startDaemonIn(victim.project, { env: victim.env, waitLive: false });
      nodes[2] = { ...victim, daemon: restarted };
      await eventually(async () => expect((await request(`${restarted.proxyUrl}/_slotswap/ready`, { timeoutMs: 2_000 })).status).toBe(200), 30_000);
      expect(await servedVersion(nodes[2])).toBe('1.1.0');

      const retried = await nodes[0]!.daemon.cli(['deploy', slow], 60_000);
      expect(retried.code, retried.stdout + retried.stderr).toBe(0);
      await everyNodeServes(nodes, '1.2.0', 1_000);
    } finally {
      stopped = true;
    }
    for (const o of await Promise.all(loads.map((l) => l.done))) expect(failures(o).slice(0, 3)).toEqual([]);
  });
});
