// Issue 17: the fleet's history of operations lives in etcd (<prefix>history/): a deploy through node 1 shows in
// slotswap history on node 3, the node's own history stays there (--local), only the last 100 entries are kept,
// and with etcd away history says so (exit 3, naming etcd).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEtcdCluster, type EtcdCluster } from '../helpers/etcd-cluster.js';
import { allRegistered, everyNodeServes, startFleet } from '../helpers/fleet-nodes.js';
import { makeRelease } from '../helpers/test-daemon.js';
import { eventually } from '../helpers/eventually.js';
import { FleetStore } from '../../src/fleet/fleet-store.js';
import type { FleetHistoryEntry } from '../../src/fleet/fleet-history.js';

let cluster: EtcdCluster;
beforeAll(async () => {
  cluster = await startEtcdCluster(3);
});
afterAll(async () => {
  await cluster?.stop();
});

interface Entry {
  op: string;
  coordinator?: string;
  outcome: string;
  fromVersion: string | null;
  toVersion: string | null;
  startedAt: string;
  endedAt: string | null;
  error: string | null;
}

describe("the fleet's history in etcd", () => {
  it('shows a deploy made through node 1 in the history of node 3, newest first, and keeps each node its own with --local', async () => {
    const nodes = await startFleet(cluster.endpoints, 3);
    await allRegistered(nodes, 3);
    for (const version of ['1.1.0', '1.2.0']) {
      const deploy = await nodes[0]!.daemon.cli(['deploy', await makeRelease(nodes[0]!.daemon.dir, `r-${version}`, { version })], 60_000);
      expect(deploy.code, deploy.stdout + deploy.stderr).toBe(0);
      await everyNodeServes(nodes, version, 1_000);
      // The next deploy needs every node's old slot stopped (its drain ends first).
      await eventually(async () => {
        for (const node of nodes) {
          const status = await node.daemon.status();
          expect(status.slots[status.live === 'a' ? 'b' : 'a'].state, node.name).toBe('stopped');
        }
      }, 10_000);
    }
    const notice = await nodes[1]!.daemon.cli(['notice', 'set', 'maintenance at noon']);
    expect(notice.code, notice.stdout + notice.stderr).toBe(0);

    const history = await nodes[2]!.daemon.cli(['history', '--json']);
    expect(history.code, history.stdout + history.stderr).toBe(0);
    const { scope, entries } = JSON.parse(history.stdout) as { scope: string; entries: Entry[] };
    expect(scope).toBe('fleet');
    expect(entries.map((e) => [e.op, e.coordinator, e.outcome, e.fromVersion, e.toVersion])).toEqual([
      ['notice set', 'node2', 'ok', '1.2.0', '1.2.0'],
      ['deploy', 'node1', 'ok', '1.1.0', '1.2.0'],
      ['deploy', 'node1', 'ok', '1.0.0', '1.1.0'],
    ]);
    for (const e of entries) expect(Date.parse(e.endedAt!)).toBeGreaterThanOrEqual(Date.parse(e.startedAt));

    const table = await nodes[2]!.daemon.cli(['history']);
    expect(table.stdout).toContain("the fleet's history (etcd)");
    expect(table.stdout).toMatch(/deploy .*1\.1\.0 -> 1\.2\.0 .*ok .*node1/);

    // Each node's own history: node3 took part in the deploys (prepare, flip), it did not coordinate them.
    const local = JSON.parse((await nodes[2]!.daemon.cli(['history', '--local', '--json'])).stdout) as { scope?: string; entries: Entry[] };
    expect(local.scope).toBeUndefined();
    expect(local.entries.map((e) => e.op)).toContain('fleet-flip');
    expect(local.entries.map((e) => e.op)).not.toContain('notice set');
  });

  it('keeps only the last 100 entries', async () => {
    const store = new FleetStore({ etcd: { endpoints: cluster.endpoints, prefix: '/slotswap/history-bound/' }, node: 'n1', advertiseUrl: 'http://127.0.0.1:1', leaseTtlSeconds: 2 });
    try {
      for (let i = 0; i < 105; i++) {
        const at = new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString();
        const entry: FleetHistoryEntry = { id: `e${i}`, op: 'deploy', actor: 'test', coordinator: 'n1', startedAt: at, endedAt: at, outcome: 'ok', fromVersion: null, toVersion: `1.0.${i}`, error: null, steps: [], slot: 'a' };
        await store.appendHistory(entry, 100);
      }
      const kept = await store.history(1000);
      expect(kept).toHaveLength(100);
      expect(kept[0]!.toVersion, 'newest first').toBe('1.0.104');
      expect(kept.at(-1)!.toVersion, 'the 5 oldest are gone').toBe('1.0.5');
    } finally {
      await store.close();
    }
  });

  it('answers with exit 3 naming etcd when etcd is unreachable, and --local still answers', async () => {
    const nodes = await startFleet(cluster.endpoints, 1);
    await allRegistered(nodes, 1);
    await cluster.stop();
    const history = await nodes[0]!.daemon.cli(['history'], 30_000);
    expect(history.code, history.stdout + history.stderr).toBe(3);
    expect(history.stderr).toMatch(/cannot read the fleet's history: etcd is unreachable at http:\/\/127\.0\.0\.1:\d+/);
    // The read degrades: the node's own history is printed below the message.
    expect(history.stdout).toMatch(/started +op/);
    const local = await nodes[0]!.daemon.cli(['history', '--local'], 30_000);
    expect(local.code, local.stdout + local.stderr).toBe(0);
  });
});
