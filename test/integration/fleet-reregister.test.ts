// Issue 17: after an etcd outage longer than the nodes' lease, every node registers again within about 2 s of etcd
// being back (1.5 s here), so the next deploy reaches every node (not only those whose client happened to reconnect first).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEtcdCluster, type EtcdCluster } from '../helpers/etcd-cluster.js';
import { allRegistered, everyNodeServes, fleetNodeState, startFleet } from '../helpers/fleet-nodes.js';
import { makeRelease } from '../helpers/test-daemon.js';
import { eventually } from '../helpers/eventually.js';
import { request } from '../helpers/http-client.js';

/** The fleet tests' lease (test/helpers/fleet-nodes.ts), and the etcd3 client's own loss check: twice the TTL without a keep-alive. */
const LEASE_TTL_MS = 3_000;
const REREGISTER_WITHIN_MS = 1_500;

/** The registrations as etcd itself holds them (its JSON gateway, /v3/kv/range): no node's own client in between. */
async function registrations(endpoint: string, prefix: string): Promise<{ name: string; heartbeatAt: string }[]> {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const body = JSON.stringify({ key: b64(`${prefix}nodes/`), range_end: b64(`${prefix}nodes0`) });
  const answer = await request(`${endpoint}/v3/kv/range`, { method: 'POST', body, headers: { 'content-type': 'application/json' }, timeoutMs: 2_000 });
  const kvs = (JSON.parse(answer.body) as { kvs?: { value: string }[] }).kvs ?? [];
  return kvs.map((kv) => JSON.parse(Buffer.from(kv.value, 'base64').toString('utf8')) as { name: string; heartbeatAt: string });
}

let cluster: EtcdCluster;
beforeAll(async () => {
  cluster = await startEtcdCluster(3);
});
afterAll(async () => {
  await cluster?.stop();
});

describe('a fleet after an etcd outage longer than its lease', () => {
  it('registers every node again within 1.5 s of etcd being back, and the next deploy reaches all three', async () => {
    const nodes = await startFleet(cluster.endpoints, 3);
    await allRegistered(nodes, 3);
    for (let i = 0; i < 3; i++) await cluster.kill(i);
    const stoppedAt = Date.now();
    await eventually(async () => {
      for (const node of nodes) expect((await fleetNodeState(node)).etcd, node.name).toBe('unreachable');
    }, 10_000);
    // The outage itself is the condition under test: it must outlast the lease and the client's 2 x TTL loss check.
    await new Promise((r) => setTimeout(r, 3 * LEASE_TTL_MS));
    await cluster.restartAll();
    const backAt = Date.now();
    // A registration written since the outage began, so after etcd was back (a quorum may answer before the last member
    // is healthy); etcd revives the old leases for a TTL, so a key alone proves nothing.
    const registeredAt = new Map<string, number>();
    const fresh = async () => {
      const prefix = (nodes[0]!.project.config.fleet as { etcd: { prefix: string } }).etcd.prefix;
      for (const n of await registrations(cluster.endpoints[0]!, prefix)) if (Date.parse(n.heartbeatAt) > stoppedAt && !registeredAt.has(n.name)) registeredAt.set(n.name, Date.now() - backAt);
      return [...registeredAt.keys()].sort();
    };
    const when = () => JSON.stringify(Object.fromEntries(registeredAt));
    try {
      await eventually(async () => expect(await fresh()).toEqual(['node1', 'node2', 'node3']), REREGISTER_WITHIN_MS);
    } catch (err) {
      await eventually(async () => expect(await fresh()).toEqual(['node1', 'node2', 'node3']), 60_000).catch(() => {});
      throw new Error(`${(err as Error).message}\nregistered again (ms after etcd was back): ${when()}`);
    }
    console.info(`registered again (ms after etcd was back): ${when()}`);

    const release = await makeRelease(nodes[0]!.daemon.dir, 'r-1.1.0', { version: '1.1.0' });
    const deploy = await nodes[0]!.daemon.cli(['deploy', release, '--json'], 60_000);
    expect(deploy.code, deploy.stdout + deploy.stderr).toBe(0);
    const { steps } = JSON.parse(deploy.stdout) as { steps: { step: string; phase: string; detail?: string }[] };
    expect(steps.find((s) => s.step === 'lock')?.detail).toMatch(/3 node\(s\): node1, node2, node3/);
    await everyNodeServes(nodes, '1.1.0', 1_000);
  });
});
