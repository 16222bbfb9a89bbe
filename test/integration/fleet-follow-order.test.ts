// Issue 17 (propagation): a fleet node switches its proxy before it writes its state file, since etcd's release key is
// the fleet's record of what is live; a node killed between its switch and that write comes back on the fleet's release.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEtcdCluster, type EtcdCluster } from '../helpers/etcd-cluster.js';
import { allRegistered, everyNodeServes, makeFleetProjects, servedVersion, type FleetNode } from '../helpers/fleet-nodes.js';
import { makeRelease, startDaemonIn } from '../helpers/test-daemon.js';
import { request } from '../helpers/http-client.js';
import { eventually } from '../helpers/eventually.js';

let cluster: EtcdCluster;
beforeAll(async () => {
  cluster = await startEtcdCluster(3);
});
afterAll(async () => {
  await cluster?.stop();
});

/** Three nodes; `envOf` adds to a node's environment (a test crash point). */
async function fleetWith(envOf: (name: string) => NodeJS.ProcessEnv = () => ({})): Promise<FleetNode[]> {
  const { projects } = await makeFleetProjects(cluster.endpoints, 3);
  const nodes = await Promise.all(projects.map(async ({ name, project, env }) => ({ name, project, env, daemon: await startDaemonIn(project, { env: { ...env, ...envOf(name) } }) })));
  await allRegistered(nodes, 3);
  return nodes;
}

interface HistoryEntry {
  op: string;
  steps: { name: string }[];
}

describe('a fleet node following a flip', () => {
  it('switches its proxy before its state file records the flip (its fleet-flip steps: check, keep, flip, persist)', async () => {
    const nodes = await fleetWith();
    const deploy = await nodes[0]!.daemon.cli(['deploy', await makeRelease(nodes[0]!.daemon.dir, 'r-1.1.0', { version: '1.1.0' })], 60_000);
    expect(deploy.code, deploy.stdout + deploy.stderr).toBe(0);
    // The deploy returns once every node switched: a node's persist may still be under way.
    for (const node of nodes) {
      await eventually(async () => {
        const entries = (await node.daemon.api('GET', '/api/history?limit=5&local=true')).json.entries as HistoryEntry[];
        const flip = entries.find((e) => e.op === 'fleet-flip');
        expect(flip?.steps.map((s) => s.name).slice(0, 4), node.name).toEqual(['check', 'keep', 'flip', 'persist']);
      }, 5_000);
    }
  });

  it('comes back on the fleet release, before it answers ready, when killed after its switch and before its state file write', async () => {
    const nodes = await fleetWith((name) => (name === 'node3' ? { SLOTSWAP_TEST_CRASH_AT: 'fleet-flip:before:persist' } : {}));
    const victim = nodes[2]!;
    const deploy = await nodes[0]!.daemon.cli(['deploy', await makeRelease(nodes[0]!.daemon.dir, 'r-1.1.0', { version: '1.1.0' })], 60_000);
    expect(deploy.code, deploy.stdout + deploy.stderr).toBe(0);
    expect(await victim.daemon.exited).toBeNull();
    await everyNodeServes(nodes.slice(0, 2), '1.1.0', 1_000);
    // Its state file still names the old slot live; etcd's release says 1.1.0.
    const restarted = await startDaemonIn(victim.project, { env: victim.env, waitLive: false });
    nodes[2] = { ...victim, daemon: restarted };
    await eventually(async () => expect((await request(`${restarted.proxyUrl}/_slotswap/ready`, { timeoutMs: 2_000 })).status).toBe(200), 30_000);
    expect(await servedVersion(nodes[2])).toBe('1.1.0');
  });
});
