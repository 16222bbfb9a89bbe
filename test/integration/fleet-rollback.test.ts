// Issue 17: slotswap rollback / flip on a fleet node take the whole fleet back to its previous release in one etcd
// transaction: each node keeps the slot that still runs it, or redeploys its kept archive; a node that can do
// neither: nothing flips anywhere, exit 1 naming it.
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEtcdCluster, type EtcdCluster } from '../helpers/etcd-cluster.js';
import { allRegistered, everyNodeServes, loadOn, manifestOf, readJson, servedVersion, startFleet, type FleetNode } from '../helpers/fleet-nodes.js';
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

async function fleetOfThree(configure?: (config: Record<string, unknown>) => void): Promise<FleetNode[]> {
  const nodes = await startFleet(cluster.endpoints, 3, undefined, configure);
  await allRegistered(nodes, 3);
  return nodes;
}

async function everyNodeServesOneManifest(nodes: FleetNode[], version: string, withinMs: number): Promise<void> {
  await everyNodeServes(nodes, version, withinMs);
  const manifests = await Promise.all(nodes.map(manifestOf));
  expect(new Set(manifests).size).toBe(1);
  expect(JSON.parse(manifests[0]!).version).toBe(version);
}

async function deploy(node: FleetNode, version: string): Promise<void> {
  const answer = await node.daemon.cli(['deploy', await makeRelease(node.daemon.dir, `r-${version}`, { version })], 60_000);
  expect(answer.code, answer.stdout + answer.stderr).toBe(0);
}

async function idleSlotStopped(node: FleetNode): Promise<void> {
  await eventually(async () => {
    const status = await node.daemon.status();
    expect(status.slots[status.live === 'a' ? 'b' : 'a'].state, node.name).toBe('stopped');
  }, 10_000);
}

describe('fleet-wide rollback and flip', () => {
  it('rolls every node back at once by keeping the slot that still drains the old release, and flips forward again', async () => {
    // A long drain: the old slot still runs when the rollback comes.
    const nodes = await fleetOfThree((config) => (config.drain = { graceMs: 40_000, idleMs: 100, timeoutMs: 60_000, stopTimeoutMs: 3_000 }));
    const load = loadOn(nodes, 3, 50_000);
    try {
      await Promise.all(load.runs.map((r) => whenAnswered(r, 10)));
      await deploy(nodes[0]!, '1.1.0');
      await everyNodeServesOneManifest(nodes, '1.1.0', 1_000);

      const rollback = await nodes[1]!.daemon.cli(['rollback', '--json'], 60_000);
      expect(rollback.code, rollback.stdout + rollback.stderr).toBe(0);
      const result = JSON.parse(rollback.stdout) as { mode: string; version: string; nodes: { kept: boolean }[] };
      expect(result).toMatchObject({ mode: 'flip', version: '1.0.0' });
      expect(result.nodes.map((n) => n.kept)).toEqual([true, true, true]);
      await everyNodeServesOneManifest(nodes, '1.0.0', 1_000);

      const flip = await nodes[2]!.daemon.cli(['flip'], 60_000);
      expect(flip.code, flip.stdout + flip.stderr).toBe(0);
      expect(flip.stdout).toMatch(/flipped: slot [ab] is live/);
      await everyNodeServesOneManifest(nodes, '1.1.0', 1_000);
    } finally {
      load.stop();
    }
    for (const [i, o] of (await Promise.all(load.runs.map((r) => r.done))).entries()) expect(failures(o).slice(0, 3), nodes[i]!.name).toEqual([]);
  });

  it('redeploys the kept archive where the old slot stopped, and flips nothing when one node has neither (exit 1 naming it)', async () => {
    const nodes = await fleetOfThree();
    const load = loadOn(nodes, 3, 50_000);
    try {
      await Promise.all(load.runs.map((r) => whenAnswered(r, 10)));
      await deploy(nodes[0]!, '1.1.0');
      for (const node of nodes) await idleSlotStopped(node);

      const rollback = await nodes[1]!.daemon.cli(['rollback'], 60_000);
      expect(rollback.code, rollback.stdout + rollback.stderr).toBe(0);
      expect(rollback.stdout).toMatch(/rolled back to 1\.0\.0: redeployed from its archive/);
      await everyNodeServesOneManifest(nodes, '1.0.0', 1_000);

      await deploy(nodes[0]!, '1.2.0');
      await everyNodeServesOneManifest(nodes, '1.2.0', 1_000);
      // node3 loses every copy of 1.0.0's archive once its slot stopped: it cannot serve 1.0.0 again.
      const node3 = nodes[2]!;
      await idleSlotStopped(node3);
      const state = (await readJson(path.join(node3.daemon.dir, 'state/slotswap.json'))) as { liveReleases: { version: string; archive: string | null; sha256: string }[] };
      for (const r of state.liveReleases.filter((x) => x.version === '1.0.0')) {
        if (r.archive) await rm(r.archive, { force: true });
        await rm(path.join(node3.daemon.dir, 'state/fleet/archives', `${r.sha256}.tgz`), { force: true });
      }
      const refused = await nodes[0]!.daemon.cli(['rollback'], 60_000);
      expect(refused.code, refused.stdout + refused.stderr).toBe(1);
      expect(refused.stderr).toMatch(/fleet rollback back to 1\.0\.0 failed on node node3: .*no archive of it is kept here.*nothing was flipped/);
      expect(refused.stderr).not.toMatch(/node node1|node node2/);
      for (const node of nodes) expect(await servedVersion(node), node.name).toBe('1.2.0');
    } finally {
      load.stop();
    }
    for (const [i, o] of (await Promise.all(load.runs.map((r) => r.done))).entries()) expect(failures(o).slice(0, 3), nodes[i]!.name).toEqual([]);
  });
});
