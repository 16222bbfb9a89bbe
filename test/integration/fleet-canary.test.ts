// Issue 17: the canary is fleet-wide. deploy --canary W through one node prepares the release on every node and
// every proxy sends about W % of fresh clients to it (sticky by cookie); canary set changes every node's weight;
// promote makes it the fleet's release on every node (one AppRun.json); abort takes every node back and stops the
// new slot; a node that fails to prepare changes nothing anywhere; a node that restarts comes back with the canary.
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEtcdCluster, type EtcdCluster } from '../helpers/etcd-cluster.js';
import { allRegistered, everyNodeServes, loadOn, manifestOf, servedVersion, startFleet, type FleetNode } from '../helpers/fleet-nodes.js';
import { makeRelease, startDaemonIn } from '../helpers/test-daemon.js';
import { failures, whenAnswered } from '../helpers/load.js';
import { request } from '../helpers/http-client.js';
import { eventually } from '../helpers/eventually.js';

let cluster: EtcdCluster;
beforeAll(async () => {
  cluster = await startEtcdCluster(3);
});
afterAll(async () => {
  await cluster?.stop();
});

interface CanaryView {
  slot: string;
  weight: number;
  version: string;
}

async function fleetOfThree(): Promise<FleetNode[]> {
  const nodes = await startFleet(cluster.endpoints, 3);
  await allRegistered(nodes, 3);
  return nodes;
}

async function canaryOf(node: FleetNode): Promise<CanaryView | null> {
  return ((await node.daemon.status()).canary as CanaryView | null) ?? null;
}

/** `count` cookie-less GETs on the node's proxy: the slot and version each was served by, and its Set-Cookie. */
async function cookieless(node: FleetNode, count: number, parallel = 8): Promise<{ slot: string; version: string; cookie: string | undefined; status: number }[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: parallel });
  const out: { slot: string; version: string; cookie: string | undefined; status: number }[] = [];
  try {
    await Promise.all(
      Array.from({ length: parallel }, async () => {
        while (out.length < count) {
          const answer = await request(`${node.daemon.proxyUrl}/`, { agent });
          out.push({ slot: String(answer.headers['x-served-by-slot']), version: String((JSON.parse(answer.body) as { version?: string }).version), cookie: answer.headers['set-cookie']?.[0], status: answer.status });
        }
      }),
    );
  } finally {
    agent.destroy();
  }
  return out.slice(0, count);
}

/** 100 requests carrying the sticky cookie for `slot`: the versions they were served. */
async function pinned(node: FleetNode, slot: string): Promise<Set<string>> {
  const agent = new http.Agent({ keepAlive: true });
  const seen = new Set<string>();
  try {
    for (let i = 0; i < 100; i++) seen.add(String((JSON.parse((await request(`${node.daemon.proxyUrl}/`, { agent, headers: { cookie: `slotswap_slot=${slot}` } })).body) as { version?: string }).version));
  } finally {
    agent.destroy();
  }
  return seen;
}

async function canaryDeploy(node: FleetNode, version: string, percent: number): Promise<void> {
  const release = await makeRelease(node.daemon.dir, `r-${version}`, { version });
  const answer = await node.daemon.cli(['deploy', release, '--canary', String(percent)], 60_000);
  expect(answer.code, answer.stdout + answer.stderr).toBe(0);
  expect(answer.stdout).toContain(`takes ${percent} % of new clients`);
}

async function everyNodeRunsCanary(nodes: FleetNode[], version: string, weight: number): Promise<void> {
  await eventually(async () => {
    for (const node of nodes) expect(await canaryOf(node), `${node.name}'s canary`).toMatchObject({ version, weight });
  }, 5_000);
}

describe('the fleet-wide canary', () => {
  it('sends about 30 % of fresh clients to the canary on every node (sticky clients stay), then promotes it on every node', async () => {
    const nodes = await fleetOfThree();
    const load = loadOn(nodes, 3, 55_000);
    try {
      await Promise.all(load.runs.map((r) => whenAnswered(r, 10)));
      await canaryDeploy(nodes[0]!, '1.1.0', 30);
      await everyNodeRunsCanary(nodes, '1.1.0', 30);
      for (const node of nodes) {
        const canary = (await canaryOf(node))!;
        const answers = await cookieless(node, 600);
        expect(answers.every((a) => a.status === 200), node.name).toBe(true);
        const share = (answers.filter((a) => a.version === '1.1.0').length / answers.length) * 100;
        expect(share, `${node.name}: share on the canary ${share.toFixed(1)} %`).toBeGreaterThanOrEqual(20);
        expect(share, `${node.name}: share on the canary ${share.toFixed(1)} %`).toBeLessThanOrEqual(40);
        for (const a of answers) expect(a.cookie, node.name).toBe(`slotswap_slot=${a.slot}; Path=/; HttpOnly; SameSite=Lax`);
        expect([...(await pinned(node, canary.slot))], `${node.name}: a client pinned to the canary`).toEqual(['1.1.0']);
        expect([...(await pinned(node, canary.slot === 'a' ? 'b' : 'a'))], `${node.name}: a client pinned to the live slot`).toEqual(['1.0.0']);
        expect(JSON.parse(await manifestOf(node)).version, 'AppRun.json stays on the live release').toBe('1.0.0');
      }

      const set = await nodes[1]!.daemon.cli(['canary', 'set', '50']);
      expect(set.code, set.stdout + set.stderr).toBe(0);
      await everyNodeRunsCanary(nodes, '1.1.0', 50);

      const promote = await nodes[2]!.daemon.cli(['promote'], 60_000);
      expect(promote.code, promote.stdout + promote.stderr).toBe(0);
      await everyNodeServes(nodes, '1.1.0', 1_000);
      const manifests = await Promise.all(nodes.map(manifestOf));
      expect(new Set(manifests).size, 'one AppRun.json on every node').toBe(1);
      expect(JSON.parse(manifests[0]!).version).toBe('1.1.0');
      await eventually(async () => {
        for (const node of nodes) expect(await canaryOf(node), `${node.name}: the canary is over`).toBeNull();
      }, 5_000);
      const fleet = (await nodes[0]!.daemon.api('GET', '/api/fleet/status')).json as { release: { version: string } };
      expect(fleet.release.version).toBe('1.1.0');
      const history = JSON.parse((await nodes[1]!.daemon.cli(['history', '--json'])).stdout) as { entries: { op: string; coordinator: string; toVersion: string }[] };
      expect(history.entries.map((e) => [e.op, e.coordinator, e.toVersion]), "the fleet's history").toEqual([
        ['promote', 'node3', '1.1.0'],
        ['canary', 'node2', '1.1.0'],
        ['canary', 'node1', '1.1.0'],
      ]);
    } finally {
      load.stop();
    }
    for (const [i, o] of (await Promise.all(load.runs.map((r) => r.done))).entries()) expect(failures(o).slice(0, 3), nodes[i]!.name).toEqual([]);
  });

  it('aborts on every node: all traffic back on the old version, the canary slot stopped everywhere', async () => {
    const nodes = await fleetOfThree();
    const load = loadOn(nodes, 3, 55_000);
    try {
      await Promise.all(load.runs.map((r) => whenAnswered(r, 10)));
      await canaryDeploy(nodes[1]!, '1.2.0', 30);
      await everyNodeRunsCanary(nodes, '1.2.0', 30);
      const slots = await Promise.all(nodes.map(async (n) => (await canaryOf(n))!.slot));

      const abort = await nodes[0]!.daemon.cli(['abort'], 60_000);
      expect(abort.code, abort.stdout + abort.stderr).toBe(0);
      const history = JSON.parse((await nodes[2]!.daemon.cli(['history', '--json'])).stdout) as { entries: { op: string; outcome: string }[] };
      expect(history.entries[0], "the fleet's history").toMatchObject({ op: 'abort', outcome: 'aborted' });
      for (const [i, node] of nodes.entries()) {
        await eventually(async () => {
          const status = await node.daemon.status();
          expect(status.canary, node.name).toBeNull();
          expect(status.slots[slots[i] as 'a' | 'b'].state, `${node.name}: the canary slot`).toBe('stopped');
        }, 15_000);
        const answers = await cookieless(node, 100);
        expect(new Set(answers.map((a) => a.version)), node.name).toEqual(new Set(['1.0.0']));
        expect([...(await pinned(node, slots[i]!))], `${node.name}: a client pinned to the stopped canary slot`).toEqual(['1.0.0']);
      }
    } finally {
      load.stop();
    }
    for (const [i, o] of (await Promise.all(load.runs.map((r) => r.done))).entries()) expect(failures(o).slice(0, 3), nodes[i]!.name).toEqual([]);
  });

  it('changes nothing anywhere when one node fails to prepare (exit 1 naming it), and refuses --watch (exit 2)', async () => {
    const nodes = await fleetOfThree();
    const release = await makeRelease(nodes[0]!.daemon.dir, 'bad-on-node3', { version: '1.5.0', start: ['sh', '-c', 'if [ "$FLEET_NODE" = node3 ]; then echo "refusing on node3" >&2; exit 1; fi; exec node server.mjs'] });
    const deploy = await nodes[0]!.daemon.cli(['deploy', release, '--canary', '30'], 60_000);
    expect(deploy.code, deploy.stdout + deploy.stderr).toBe(1);
    expect(deploy.stderr).toMatch(/fleet canary deploy failed on node node3: .*nothing changed anywhere/);
    expect(deploy.stderr).not.toMatch(/node node1|node node2/);
    for (const node of nodes) {
      expect(await canaryOf(node), node.name).toBeNull();
      expect(await servedVersion(node), node.name).toBe('1.0.0');
    }
    expect(((await nodes[0]!.daemon.api('GET', '/api/fleet/status')).json as { release: unknown }).release).toBeNull();

    const good = await makeRelease(nodes[0]!.daemon.dir, 'r-1.6.0', { version: '1.6.0' });
    const watch = await nodes[0]!.daemon.cli(['deploy', good, '--canary', '30', '--watch', '5000'], 60_000);
    expect(watch.code, watch.stdout + watch.stderr).toBe(2);
    expect(watch.stderr).toMatch(/--watch is not fleet-wide yet: expected .*, got --watch/);
  });

  it('brings a node that restarts while the canary runs back with it', async () => {
    const nodes = await fleetOfThree();
    await canaryDeploy(nodes[0]!, '1.3.0', 40);
    await everyNodeRunsCanary(nodes, '1.3.0', 40);
    const node3 = nodes[2]!;
    await node3.daemon.stop();
    // Changed while node3 is away: it reads the weight from etcd when it comes back.
    const set = await nodes[0]!.daemon.cli(['canary', 'set', '60']);
    expect(set.code, set.stdout + set.stderr).toBe(0);
    const restarted = { ...node3, daemon: await startDaemonIn(node3.project, { env: node3.env }) };
    await eventually(async () => expect(await canaryOf(restarted)).toMatchObject({ version: '1.3.0', weight: 60 }), 20_000);
    const answers = await cookieless(restarted, 300);
    const share = (answers.filter((a) => a.version === '1.3.0').length / answers.length) * 100;
    expect(share, `share on the canary ${share.toFixed(1)} %`).toBeGreaterThanOrEqual(48);
    expect(share, `share on the canary ${share.toFixed(1)} %`).toBeLessThanOrEqual(72);
  });

  it('advances the weight on every node by the steps, then promotes the fleet', async () => {
    const nodes = await fleetOfThree();
    const release = await makeRelease(nodes[0]!.daemon.dir, 'r-1.4.0', { version: '1.4.0' });
    const deploy = await nodes[0]!.daemon.cli(['deploy', release, '--steps', '10,50', '--step-ms', '1500'], 60_000);
    expect(deploy.code, deploy.stdout + deploy.stderr).toBe(0);
    await everyNodeRunsCanary(nodes, '1.4.0', 50);
    await everyNodeServes(nodes, '1.4.0', 15_000);
    await eventually(async () => {
      for (const node of nodes) expect(await canaryOf(node), `${node.name}: the canary is over`).toBeNull();
    }, 5_000);
    const history = JSON.parse((await nodes[2]!.daemon.cli(['history', '--json'])).stdout) as { entries: { op: string; actor: string }[] };
    expect(history.entries.map((e) => [e.op, e.actor])).toEqual([['promote', 'steps'], ['canary', 'steps'], ['canary', expect.any(String)]]);
  });
});
