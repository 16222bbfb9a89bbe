// Acceptance (issue 17): etcd is the fleet's control plane only. With every member stopped the proxies keep serving
// and a deploy is refused naming etcd (exit 3); etcd back, a deploy succeeds; one member killed mid-deploy is survived.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEtcdCluster, type EtcdCluster } from '../helpers/etcd-cluster.js';
import { allRegistered, everyNodeServes, loadOn, servedVersion, startFleet } from '../helpers/fleet-nodes.js';
import { makeRelease } from '../helpers/test-daemon.js';
import { failures, whenAnswered } from '../helpers/load.js';
import { eventually } from '../helpers/eventually.js';

let cluster: EtcdCluster;
beforeAll(async () => {
  cluster = await startEtcdCluster(3);
});
afterAll(async () => {
  await cluster?.stop();
});

describe('a fleet when etcd is away', () => {
  it('keeps every proxy serving with all etcd members stopped, refuses a deploy naming etcd (exit 3), and deploys once etcd is back', async () => {
    const nodes = await startFleet(cluster.endpoints, 3);
    await allRegistered(nodes, 3);
    const load = loadOn(nodes, 5);
    try {
      await Promise.all(load.runs.map((r) => whenAnswered(r, 10)));
      for (let i = 0; i < 3; i++) await cluster.kill(i);
      const stoppedAt = Date.now();
      await Promise.all(load.runs.map((r) => whenAnswered(r, 30, stoppedAt)));
      const release = await makeRelease(nodes[0]!.daemon.dir, 'r-1.1.0', { version: '1.1.0' });
      const refused = await nodes[0]!.daemon.cli(['deploy', release], 60_000);
      expect(refused.code, refused.stdout + refused.stderr).toBe(3);
      expect(refused.stderr).toMatch(/etcd is unreachable at http:\/\/127\.0\.0\.1:\d+/);
      const status = await nodes[1]!.daemon.cli(['status', '--fleet']);
      expect(status.code).toBe(0);
      expect(status.stdout).toMatch(/etcd: UNREACHABLE/);
      await eventually(async () => expect((await nodes[2]!.daemon.cli(['status'])).stdout).toMatch(/fleet: etcd is UNREACHABLE/), 10_000);
      for (const node of nodes) expect(await servedVersion(node)).toBe('1.0.0');

      await cluster.restartAll();
      await eventually(async () => expect((await nodes[0]!.daemon.cli(['status', '--fleet'])).stdout).toMatch(/etcd: reachable[\s\S]*node3/), 20_000);
      // Every node registers again within about a second of etcd being back (fleet-reregister.test.ts times it).
      await allRegistered(nodes, 3, 5_000);
      const deploy = await nodes[0]!.daemon.cli(['deploy', release], 60_000);
      expect(deploy.code, deploy.stdout + deploy.stderr).toBe(0);
      // A failure prints the deploy's steps (which nodes it reached).
      try {
        await everyNodeServes(nodes, '1.1.0', 1_000);
      } catch (err) {
        throw new Error(`${(err as Error).message}\ndeploy output:\n${deploy.stdout}`);
      }
    } finally {
      load.stop();
    }
    for (const [i, o] of (await Promise.all(load.runs.map((r) => r.done))).entries()) expect(failures(o).slice(0, 3), nodes[i]!.name).toEqual([]);
  });

  it('completes a deploy during which one etcd member is killed (quorum holds)', async () => {
    const nodes = await startFleet(cluster.endpoints, 3);
    await allRegistered(nodes, 3);
    const load = loadOn(nodes, 5);
    try {
      await Promise.all(load.runs.map((r) => whenAnswered(r, 10)));
      // A release that takes a second to start, so the kill lands while the nodes prepare it.
      const release = await makeRelease(nodes[0]!.daemon.dir, 'slow-1.2.0', { version: '1.2.0', start: ['sh', '-c', 'sleep 1; exec node server.mjs'] });
      const deploying = nodes[0]!.daemon.cli(['deploy', release], 60_000);
      await eventually(async () => expect((await nodes[2]!.daemon.status()).operation).toMatchObject({ op: 'fleet-prepare' }), 20_000);
      await cluster.kill(0);
      const deploy = await deploying;
      expect(deploy.code, deploy.stdout + deploy.stderr).toBe(0);
      await everyNodeServes(nodes, '1.2.0', 1_000);
    } finally {
      load.stop();
      await cluster.restart(0);
    }
    for (const [i, o] of (await Promise.all(load.runs.map((r) => r.done))).entries()) expect(failures(o).slice(0, 3), nodes[i]!.name).toEqual([]);
  });
});
