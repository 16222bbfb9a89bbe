// The fleet's state in a real etcd: compare-revision writes lose no update, registrations leave with their lease,
// the operation lock is exclusive and lease-bound, and a stopped etcd is reported as unreachable.
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FleetStore, type FleetRelease, type NodeRecord } from '../../src/fleet/fleet-store.js';
import type { FleetConfig } from '../../src/fleet/fleet-config.js';
import { SlotswapError } from '../../src/errors.js';
import { startEtcdCluster, type EtcdCluster } from '../helpers/etcd-cluster.js';
import { eventually } from '../helpers/eventually.js';

let cluster: EtcdCluster;
const stores: FleetStore[] = [];
let prefixCount = 0;

function fleetConfig(prefix: string, node: string, leaseTtlSeconds = 2): FleetConfig {
  return { etcd: { endpoints: cluster.endpoints, prefix }, node, advertiseUrl: `http://127.0.0.1:1/${node}`, leaseTtlSeconds };
}
function open(prefix: string, node = 'n1', ttl = 2): FleetStore {
  const store = new FleetStore(fleetConfig(prefix, node, ttl));
  stores.push(store);
  return store;
}
const freshPrefix = () => `/slotswap/test-${++prefixCount}/`;
const release = (version: string): FleetRelease => ({
  deployId: version,
  version,
  sha256: 'x'.repeat(64),
  minCompatibleVersion: '1.0.0',
  manifest: { app: 'a', version, minCompatibleVersion: '1.0.0', webApiUrl: 'http://x', slot: 'b', deployment_urls: { web_api: 'http://x' }, updatedAt: 'now', notice: null },
  notice: null,
  slots: { n1: 'b' },
  archiveFrom: [],
  coordinator: 'n1',
  at: 'now',
});
const node = (name: string): NodeRecord => ({ name, advertiseUrl: `http://127.0.0.1:1/${name}`, live: 'a', version: '1.0.0', healthy: 1, total: 1, heartbeatAt: new Date().toISOString() });

beforeAll(async () => {
  cluster = await startEtcdCluster(3);
});
afterAll(async () => {
  for (const store of stores) await store.close({ leave: false }).catch(() => {});
  await cluster?.stop();
});

describe('the fleet store on etcd', () => {
  it('writes the release only at the revision it read: the second of two writers from the same revision loses', async () => {
    const prefix = freshPrefix();
    const one = open(prefix, 'n1');
    const two = open(prefix, 'n2');
    const read = await one.readRelease();
    expect(read).toEqual({ release: null, revision: '0' });
    expect(await one.commitRelease(release('1.1.0'), read.revision)).toBe(true);
    expect(await two.commitRelease(release('1.2.0'), read.revision)).toBe(false);
    const after = await two.readRelease();
    expect(after.release?.version).toBe('1.1.0');
    expect(await two.commitRelease(release('1.2.0'), after.revision)).toBe(true);
    expect((await one.readRelease()).release?.version).toBe('1.2.0');
  });

  it('lists registered nodes, drops one that leaves at once, and one that dies once its lease expires', async () => {
    const prefix = freshPrefix();
    const [one, two, three] = [open(prefix, 'n1'), open(prefix, 'n2'), open(prefix, 'n3')];
    await one.register(node('n1'));
    await two.register(node('n2'));
    await three.register(node('n3'));
    expect((await one.nodes()).map((n) => n.name)).toEqual(['n1', 'n2', 'n3']);
    await two.close();
    expect((await one.nodes()).map((n) => n.name)).toEqual(['n1', 'n3']);
    const diedAt = Date.now();
    await three.close({ leave: false });
    await eventually(async () => expect((await one.nodes()).map((n) => n.name)).toEqual(['n1']), 15_000);
    expect(Date.now() - diedAt).toBeGreaterThan(1_000);
  });

  it('lets one holder take the operation lock; a second is refused as a conflict until the first lets go', async () => {
    const prefix = freshPrefix();
    const [one, two] = [open(prefix, 'n1'), open(prefix, 'n2')];
    const held = await one.lock('n1');
    const refused = await two.lock('n2').catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(SlotswapError);
    expect((refused as SlotswapError).code).toBe('conflict');
    expect((refused as SlotswapError).message).toMatch(/another fleet operation holds the fleet lock/);
    await held.release();
    const second = await two.lock('n2');
    await second.release();
  });

  it('lets go of the lock of a coordinator that died, once its lease expires', async () => {
    const prefix = freshPrefix();
    const other = open(prefix, 'n2');
    // A dead coordinator's lock: the key on a 2 s lease that nobody keeps alive (what etcd holds after a kill -9).
    const endpoints = cluster.endpoints.join(',');
    const granted = execFileSync('etcdctl', ['--endpoints', endpoints, 'lease', 'grant', '2'], { env: { ...process.env, ETCDCTL_API: '3' } }).toString();
    const leaseId = /lease ([0-9a-f]+) granted/.exec(granted)![1]!;
    execFileSync('etcdctl', ['--endpoints', endpoints, 'put', `--lease=${leaseId}`, `${prefix}lock`, leaseId], { env: { ...process.env, ETCDCTL_API: '3' } });
    const refused = await other.lock('n2').catch((err: unknown) => err);
    expect((refused as SlotswapError).code).toBe('conflict');
    await eventually(async () => (await other.lock('n2')).release(), 15_000);
  });

  it('reports etcd unreachable (exit 3, naming etcd) when every member is stopped', async () => {
    const prefix = freshPrefix();
    const store = open(prefix, 'n1');
    await store.readRelease();
    for (let i = 0; i < 3; i++) await cluster.kill(i);
    const started = Date.now();
    const err = (await store.readRelease().catch((e: unknown) => e)) as SlotswapError;
    expect(err).toBeInstanceOf(SlotswapError);
    expect(err.exitCode).toBe(3);
    expect(err.message).toMatch(/^etcd is unreachable at http:\/\/127\.0\.0\.1:\d+/);
    expect(store.reachable).toBe(false);
    expect(Date.now() - started).toBeLessThan(15_000);
    for (let i = 0; i < 3; i++) cluster.members[i]!.process = null;
  });
});
