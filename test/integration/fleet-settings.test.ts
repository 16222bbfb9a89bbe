// Issue 17: on a fleet, notice, maintenance and hold/resume are the fleet's: one etcd transaction through any node,
// and every node (the one called too) applies it; a node that comes back applies them before it answers ready.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEtcdCluster, type EtcdCluster } from '../helpers/etcd-cluster.js';
import { manifestOf, startFleet, type FleetNode } from '../helpers/fleet-nodes.js';
import { startDaemonIn } from '../helpers/test-daemon.js';
import { request, type HttpAnswer } from '../helpers/http-client.js';
import { failures, startLoad, whenAnswered } from '../helpers/load.js';
import { eventually } from '../helpers/eventually.js';

let cluster: EtcdCluster;
beforeAll(async () => {
  cluster = await startEtcdCluster(3);
});
afterAll(async () => {
  await cluster?.stop();
});

async function fleetOfThree(): Promise<FleetNode[]> {
  const nodes = await startFleet(cluster.endpoints, 3);
  await eventually(async () => expect(((await nodes[0]!.daemon.api('GET', '/api/fleet/status')).json.nodes as unknown[]).length).toBe(3), 10_000);
  return nodes;
}

async function everyManifest(nodes: FleetNode[]): Promise<Record<string, unknown>[]> {
  const bodies = await Promise.all(nodes.map(manifestOf));
  expect(new Set(bodies).size, `AppRun.json differs between nodes:\n${bodies.join('\n')}`).toBe(1);
  return bodies.map((b) => JSON.parse(b) as Record<string, unknown>);
}

describe('fleet-wide notice, maintenance and hold', () => {
  it('applies a notice, maintenance and a hold set through one node on every node', async () => {
    const nodes = await fleetOfThree();
    const [node1, node2, node3] = nodes as [FleetNode, FleetNode, FleetNode];

    const notice = await node1.daemon.cli(['notice', 'set', 'Version 2 is out', '--mandatory']);
    expect(notice.code, notice.stdout + notice.stderr).toBe(0);
    await eventually(async () => {
      for (const m of await everyManifest(nodes)) expect(m.notice).toEqual({ message: 'Version 2 is out', mandatory: true });
    }, 2_000);

    const on = await node2.daemon.cli(['maintenance', 'on', '--message', 'database upgrade', '--retry-after', '30']);
    expect(on.code, on.stdout + on.stderr).toBe(0);
    await eventually(async () => {
      for (const node of nodes) expect((await request(`${node.daemon.proxyUrl}/`)).status, node.name).toBe(503);
      for (const m of await everyManifest(nodes)) expect(m.maintenance).toMatchObject({ on: true, message: 'database upgrade', retryAfterS: 30 });
    }, 2_000);
    // One admin token, so one bypass value: it reaches the live slot on every node.
    const bypass = (await node3.daemon.cli(['maintenance', 'bypass'])).stdout.trim();
    for (const node of nodes) expect((await request(`${node.daemon.proxyUrl}/`, { headers: { 'x-slotswap-bypass': bypass } })).status, node.name).toBe(200);

    const off = await node2.daemon.cli(['maintenance', 'off']);
    expect(off.code, off.stdout + off.stderr).toBe(0);
    await eventually(async () => {
      for (const node of nodes) expect((await request(`${node.daemon.proxyUrl}/`)).status, node.name).toBe(200);
    }, 2_000);
    let stopped = false;
    const runs = nodes.map((n) => startLoad({ baseUrl: n.daemon.proxyUrl, clients: 3, stop: () => stopped, maxMs: 5_000 }));
    await Promise.all(runs.map((r) => whenAnswered(r, 20))).finally(() => (stopped = true));
    for (const [i, o] of (await Promise.all(runs.map((r) => r.done))).entries()) expect(failures(o).slice(0, 3), nodes[i]!.name).toEqual([]);
    expect((await everyManifest(nodes))[0]!.maintenance).toBeUndefined();

    const hold = await node1.daemon.cli(['hold']);
    expect(hold.code, hold.stdout + hold.stderr).toBe(0);
    await eventually(async () => expect(((await node3.daemon.status()).hold as { reasons: string[] }).reasons).toContain('operator'), 2_000);
    const held: Promise<HttpAnswer> = request(`${node3.daemon.proxyUrl}/`, { timeoutMs: 20_000 });
    await eventually(async () => expect(((await node3.daemon.status()).hold as { queued: number }).queued).toBe(1), 5_000);
    const resume = await node1.daemon.cli(['resume']);
    expect(resume.code, resume.stdout + resume.stderr).toBe(0);
    expect((await held).status).toBe(200);
    for (const node of nodes) expect(((await node.daemon.status()).hold as { on: boolean }).on, node.name).toBe(false);
  });

  it('brings a node that was away onto the fleet settings before it answers ready; with etcd away a change is refused (exit 3)', async () => {
    const nodes = await fleetOfThree();
    const [node1, , node3] = nodes as [FleetNode, FleetNode, FleetNode];
    await node3.daemon.stop();
    expect((await node1.daemon.cli(['notice', 'set', 'set while node3 was away'])).code).toBe(0);
    expect((await node1.daemon.cli(['maintenance', 'on'])).code).toBe(0);

    const daemon = await startDaemonIn(node3.project, { env: node3.env, waitLive: false });
    const back: FleetNode = { ...node3, daemon };
    await eventually(async () => {
      const ready = await request(`${daemon.proxyUrl}/_slotswap/ready`, { timeoutMs: 2_000 }).catch(() => null);
      expect(ready?.status, ready?.body).toBe(200);
    }, 30_000);
    // At its first 200 the node already serves the fleet's settings: nothing to wait for.
    expect((await request(`${daemon.proxyUrl}/`)).status).toBe(503);
    const manifests = await everyManifest([nodes[0]!, nodes[1]!, back]);
    expect(manifests[0]).toMatchObject({ notice: { message: 'set while node3 was away' }, maintenance: { on: true } });

    expect((await node1.daemon.cli(['maintenance', 'off'])).code).toBe(0);
    for (let i = 0; i < 3; i++) await cluster.kill(i);
    const refused = await node1.daemon.cli(['notice', 'clear']);
    expect(refused.code, refused.stdout + refused.stderr).toBe(3);
    expect(refused.stderr).toMatch(/etcd is unreachable at http:\/\/127\.0\.0\.1:\d+/);
    for (const node of [nodes[0]!, nodes[1]!, back]) expect((await request(`${node.daemon.proxyUrl}/`)).status, node.name).toBe(200);
    expect(JSON.parse(await manifestOf(back)).notice).toMatchObject({ message: 'set while node3 was away' });
  });
});
