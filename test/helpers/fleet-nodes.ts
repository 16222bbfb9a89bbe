// Several real slotswap daemons on one machine as one fleet: each its own project folder and ports, one shared
// admin token (the same token file contents), one public URL, all pointed at the test etcd cluster.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { expect, onTestFinished } from 'vitest';
import { makeProject, startDaemonIn, type TestDaemon } from './test-daemon.js';
import { request } from './http-client.js';
import { eventually } from './eventually.js';
import { startLoad, type LoadRun } from './load.js';
import { touchTree } from './touch-tree.js';

export interface FleetNode {
  name: string;
  daemon: TestDaemon;
  project: Awaited<ReturnType<typeof makeProject>>;
  env: NodeJS.ProcessEnv;
}

export async function makeFleetProjects(endpoints: string[], count: number, prefix = `/slotswap/fleet-${randomBytes(4).toString('hex')}/`, configure: (config: Record<string, unknown>) => void = () => {}) {
  const token = randomBytes(24).toString('hex');
  const projects = [];
  for (let i = 0; i < count; i++) {
    const project = await makeProject({ proxy: { publicUrl: 'https://app.example.test' } });
    const name = `node${i + 1}`;
    // Each node's copy of the app as if checked out on another day.
    await touchTree(path.join(project.dir, 'sites/sample-api'), new Date(Date.UTC(2026, 10, 1 + i, 10)));
    const adminPort = (project.config.admin as { port: number }).port;
    project.config.fleet = { etcd: { endpoints, prefix }, node: name, advertiseUrl: `http://127.0.0.1:${adminPort}`, leaseTtlSeconds: 3 };
    configure(project.config);
    await writeFile(project.configFile, JSON.stringify(project.config, null, 2));
    // The same token file contents on every node: they call each other with it.
    await mkdir(path.join(project.dir, 'state'), { recursive: true, mode: 0o700 });
    await writeFile(path.join(project.dir, 'state/admin.token'), `${token}\n`, { mode: 0o600 });
    projects.push({ name, project, env: { FLEET_NODE: name } as NodeJS.ProcessEnv });
  }
  return { token, projects };
}

/** `configure` changes every node's config before it starts (e.g. a longer drain). */
export async function startFleet(endpoints: string[], count: number, hook: typeof onTestFinished = onTestFinished, configure?: (config: Record<string, unknown>) => void): Promise<FleetNode[]> {
  const { projects } = await makeFleetProjects(endpoints, count, undefined, configure);
  return Promise.all(projects.map(async ({ name, project, env }) => ({ name, project, env, daemon: await startDaemonIn(project, { env, onTestFinished: hook }) })));
}

/** What the node's proxy answers on / (the sample API reports its version). */
export async function servedVersion(node: FleetNode): Promise<string | null> {
  const answer = await request(`${node.daemon.proxyUrl}/`).catch(() => null);
  if (!answer || answer.status !== 200) return null;
  return (JSON.parse(answer.body) as { version?: string }).version ?? null;
}

export async function manifestOf(node: FleetNode): Promise<string> {
  return (await request(`${node.daemon.proxyUrl}/AppRun.json`)).body;
}

export async function fleetNodeState(node: FleetNode): Promise<Record<string, unknown>> {
  return (await node.daemon.api('GET', '/api/fleet/node')).json;
}

export async function readJson(file: string): Promise<unknown> {
  return JSON.parse(await readFile(file, 'utf8'));
}

/** Bounded keep-alive load on every node's proxy; stop() ends it. */
export function loadOn(nodes: FleetNode[], clients: number, maxMs = 55_000): { runs: LoadRun[]; stop: () => void } {
  let stopped = false;
  const runs = nodes.map((n) => startLoad({ baseUrl: n.daemon.proxyUrl, clients, stop: () => stopped, maxMs }));
  return { runs, stop: () => (stopped = true) };
}

/** Polls until every node's proxy serves `version`. */
export async function everyNodeServes(nodes: FleetNode[], version: string, withinMs: number): Promise<void> {
  await eventually(async () => {
    for (const node of nodes) expect(await servedVersion(node), `${node.name} serves ${version}`).toBe(version);
  }, withinMs);
}

/** Polls until `count` nodes are registered in etcd, as the first node lists them. */
export async function allRegistered(nodes: FleetNode[], count: number, withinMs = 10_000): Promise<void> {
  await eventually(async () => expect(((await nodes[0]!.daemon.api('GET', '/api/fleet/status')).json.nodes as unknown[]).length).toBe(count), withinMs);
}
