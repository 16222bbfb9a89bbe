// Several real slotswap daemons on this machine as one fleet (as test/helpers/fleet-nodes.ts starts them): each its
// own folder and loopback ports, one shared admin token file, one public URL, all on the bench's etcd cluster.
import { randomBytes } from 'node:crypto';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CLI, DAEMON_NODE_FLAGS, SAMPLE_API, httpRequest, runCli } from './daemon.mjs';
import { freePortRange } from './ports.mjs';
import { sleep, startProcess } from './processes.mjs';

async function waitFor(what, probe, timeoutMs, output) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => null);
    if (value !== null && value !== undefined && value !== false) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}; daemon output:\n${output().slice(-3000)}`);
    await sleep(50);
  }
}

/** One fleet node: a daemon started with `fleet` in its config and the fleet's token already in state/admin.token. */
async function startNode({ name, endpoints, prefix, token, config: extra }) {
  const dir = await mkdtemp(path.join(os.tmpdir(), `slotswap-bench-fleet-${name}-`));
  await cp(SAMPLE_API, path.join(dir, 'sites/sample-api'), { recursive: true });
  const ports = { proxy: await freePortRange(1), admin: await freePortRange(1), a: await freePortRange(1), b: await freePortRange(1) };
  const adminUrl = `http://127.0.0.1:${ports.admin}`;
  const config = {
    app: 'sample-api',
    proxy: { host: '127.0.0.1', port: ports.proxy, publicUrl: 'https://app.example.test' },
    admin: { host: '127.0.0.1', port: ports.admin },
    slots: { a: { port: ports.a }, b: { port: ports.b } },
    instances: 1,
    ...extra,
    fleet: { etcd: { endpoints, prefix }, node: name, advertiseUrl: adminUrl, leaseTtlSeconds: 3 },
  };
  const configFile = path.join(dir, 'orchestrator.config.json');
  await writeFile(configFile, JSON.stringify(config, null, 2));
  await mkdir(path.join(dir, 'state'), { recursive: true, mode: 0o700 });
  await writeFile(path.join(dir, 'state/admin.token'), `${token}\n`, { mode: 0o600 });
  const env = { ...process.env };
  delete env.SLOTSWAP_ADMIN_TOKEN;
  const proc = startProcess(process.execPath, [...DAEMON_NODE_FLAGS, CLI, 'start', '--config', configFile], { cwd: dir, env });
  const api = async (method, apiPath, body) => {
    const headers = { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) };
    const answer = await httpRequest(`${adminUrl}${apiPath}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), timeoutMs: 30_000 });
    if (answer.status >= 400) throw new Error(`${name}: ${method} ${apiPath} answered ${answer.status}: ${answer.body.slice(0, 300)}`);
    return JSON.parse(answer.body || '{}');
  };
  const stop = async () => {
    await proc.stop(20_000);
    await rm(dir, { recursive: true, force: true }).catch(() => {});
  };
  const proxyUrl = `http://127.0.0.1:${ports.proxy}`;
  try {
    await waitFor(`${name}'s live slot`, async () => (await api('GET', '/api/status')).live, 30_000, proc.output);
    await waitFor(`${name} to answer ready`, async () => (await httpRequest(`${proxyUrl}/_slotswap/ready`, { timeoutMs: 2_000 })).status === 200, 30_000, proc.output);
  } catch (err) {
    await stop();
    throw err;
  }
  const cli = (args, timeoutMs = 120_000) => runCli([...args, '--config', configFile], dir, timeoutMs);
  return { name, dir, configFile, proxyUrl, adminUrl, pid: proc.pid, api, cli, stop, output: proc.output };
}

/**
 * Starts `count` nodes on one fleet prefix; resolves once every node is registered, as node 1 lists them.
 * @param {{ endpoints: string[], count: number, config?: Record<string, unknown> }} o
 */
export async function startFleetNodes(o) {
  const token = randomBytes(24).toString('hex');
  const prefix = `/slotswap/bench-${randomBytes(4).toString('hex')}/`;
  const settled = await Promise.allSettled(Array.from({ length: o.count }, (_, i) => startNode({ name: `node${i + 1}`, endpoints: o.endpoints, prefix, token, config: o.config ?? {} })));
  const nodes = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const stop = () => Promise.all(nodes.map((n) => n.stop()));
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed) {
    await stop();
    throw failed.reason;
  }
  try {
    await waitFor('every node registered', async () => (await nodes[0].api('GET', '/api/fleet/status')).nodes?.length === o.count, 20_000, nodes[0].output);
  } catch (err) {
    await stop();
    throw err;
  }
  return { nodes, stop };
}

