// Acceptance (issue 17): three etcd members, three slotswap nodes, keep-alive clients on every node's proxy;
// deploys through node 1 flip the whole fleet as one, and a release failing on one node flips nothing anywhere.
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEtcdCluster, type EtcdCluster } from '../helpers/etcd-cluster.js';
import { allRegistered, everyNodeServes, loadOn, fleetNodeState, manifestOf, servedVersion, startFleet } from '../helpers/fleet-nodes.js';
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

describe('a fleet of three nodes on etcd', () => {
  it('flips every node to each new release with no failed request on any proxy, and the same AppRun.json everywhere', async () => {
    const nodes = await startFleet(cluster.endpoints, 3);
    await allRegistered(nodes, 3);
    const load = loadOn(nodes, 30);
    const propagation: number[] = [];
    try {
      await Promise.all(load.runs.map((r) => whenAnswered(r, 60)));
      for (const version of ['1.1.0', '1.2.0', '1.3.0', '1.4.0', '1.5.0']) {
        const release = await makeRelease(nodes[0]!.daemon.dir, `r-${version}`, { version });
        const deploy = await nodes[0]!.daemon.cli(['deploy', release, '--json'], 60_000);
        expect(deploy.code, deploy.stdout + deploy.stderr).toBe(0);
        const result = JSON.parse(deploy.stdout) as { ok: boolean; version: string; propagationMs: number; steps: { step: string; phase: string }[] };
        expect(result).toMatchObject({ ok: true, version });
        const ended = result.steps.filter((e) => e.phase === 'end').map((e) => e.step);
        for (const step of ['node1: health', 'node2: health', 'node3: health', 'prepare', 'commit', 'follow']) expect(ended).toContain(step);
        propagation.push(result.propagationMs);
        await everyNodeServes(nodes, version, 1_000);
        const manifests = await Promise.all(nodes.map(manifestOf));
        expect(JSON.parse(manifests[0]!).version).toBe(version);
        expect(new Set(manifests).size).toBe(1);
      }
      // Each node keeps only the live release's archive in its fleet folder (older ones stay in releasesDir).
      for (const node of nodes) await eventually(async () => expect((await readdir(path.join(node.daemon.dir, 'state/fleet/archives'))).length).toBeLessThanOrEqual(1));
    } finally {
      load.stop();
    }
    // The flip's propagation (commit -> last node switched), reported, not timed: the bench's figure to watch.
    console.info(`fleet flip propagation over ${propagation.length} deploys: ${propagation.join(', ')} ms (max ${Math.max(...propagation)} ms)`);
    const outcomes = await Promise.all(load.runs.map((r) => r.done));
    for (const [i, o] of outcomes.entries()) {
      expect(o.length, `${nodes[i]!.name} answered requests`).toBeGreaterThan(300);
      expect(failures(o).slice(0, 3), `${nodes[i]!.name} failed requests`).toEqual([]);
    }
  });

  it('flips no node when the release fails its health check on one node only, and names that node (exit 1)', async () => {
    const nodes = await startFleet(cluster.endpoints, 3);
    await allRegistered(nodes, 3);
    const load = loadOn(nodes, 5);
    try {
      await Promise.all(load.runs.map((r) => whenAnswered(r, 10)));
      // Fails at once on node2 only: its daemon (and so the instance) has FLEET_NODE=node2.
      const release = await makeRelease(nodes[0]!.daemon.dir, 'bad-on-node2', { version: '1.5.0', start: ['sh', '-c', 'if [ "$FLEET_NODE" = node2 ]; then echo "refusing on node2" >&2; exit 1; fi; exec node server.mjs'] });
      const deploy = await nodes[0]!.daemon.cli(['deploy', release], 60_000);
      expect(deploy.code, deploy.stdout + deploy.stderr).toBe(1);
      expect(deploy.stderr).toMatch(/fleet deploy failed on node node2: .*nothing was flipped, every node stopped its new slot/);
      expect(deploy.stderr).not.toMatch(/node node1|node node3/);
      for (const node of nodes) {
        expect(await servedVersion(node), node.name).toBe('1.0.0');
        await eventually(async () => {
          const status = await node.daemon.status();
          const idle = status.live === 'a' ? 'b' : 'a';
          expect(['stopped', 'failed']).toContain(status.slots[idle].state);
        }, 10_000);
        expect((await fleetNodeState(node)).liveDeployId).toBeNull();
      }
    } finally {
      load.stop();
    }
    for (const o of await Promise.all(load.runs.map((r) => r.done))) expect(failures(o).slice(0, 3)).toEqual([]);
  });
});
