// A real 3-member etcd cluster on loopback ports (the bench's port finder), fresh data dirs, stopped by pid.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePortRange } from './ports.js';
import { request } from './http-client.js';

export const ETCD_BIN = process.env.ETCD_BIN ?? 'etcd';

export interface EtcdMember {
  name: string;
  clientUrl: string;
  peerUrl: string;
  dataDir: string;
  process: ChildProcess | null;
  output: string;
  /** While the member is killed its two ports are held here: another test on this busy machine cannot take them. */
  holders?: net.Server[];
}

/** Listens on the port and cuts every connection at once (to a client, as abrupt as a refused one). */
function holdPort(url: string): Promise<net.Server | null> {
  const server = net.createServer((socket) => socket.destroy());
  return new Promise((resolve) => {
    server.once('error', () => resolve(null));
    server.listen({ port: Number(new URL(url).port), host: '127.0.0.1', exclusive: true }, () => resolve(server));
  });
}

async function releasePorts(m: EtcdMember): Promise<void> {
  const holders = m.holders ?? [];
  m.holders = [];
  await Promise.all(holders.map((h) => new Promise<void>((resolve) => h.close(() => resolve()))));
}

export interface EtcdCluster {
  members: EtcdMember[];
  endpoints: string[];
  /** SIGKILLs one member by its pid and waits for it to exit. */
  kill: (index: number) => Promise<void>;
  /** Starts a killed member again on its own data dir (it rejoins the cluster). */
  restart: (index: number) => Promise<void>;
  /** Starts every killed member again at once (one alone has no quorum) and waits until all are healthy. */
  restartAll: () => Promise<void>;
  /** Waits until the member answers /health with health true. */
  healthy: (index: number, timeoutMs?: number) => Promise<void>;
  stop: () => Promise<void>;
}

async function waitHealthy(member: EtcdMember, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const answer = await request(`${member.clientUrl}/health`, { method: 'GET' }).catch(() => null);
    if (answer?.status === 200 && (JSON.parse(answer.body) as { health?: string }).health === 'true') return;
    if (Date.now() > until) throw new Error(`etcd member ${member.name} not healthy within ${timeoutMs} ms; output:\n${member.output.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

export async function startEtcdCluster(size = 3): Promise<EtcdCluster> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'slotswap-etcd-'));
  const members: EtcdMember[] = [];
  for (let i = 0; i < size; i++) {
    const base = await freePortRange(2);
    members.push({ name: `etcd${i + 1}`, clientUrl: `http://127.0.0.1:${base}`, peerUrl: `http://127.0.0.1:${base + 1}`, dataDir: path.join(root, `etcd${i + 1}`), process: null, output: '' });
  }
  const initialCluster = members.map((m) => `${m.name}=${m.peerUrl}`).join(',');
  const launch = async (m: EtcdMember, state: 'new' | 'existing') => {
    await releasePorts(m);
    const args = [
      '--name', m.name, '--data-dir', m.dataDir,
      '--listen-client-urls', m.clientUrl, '--advertise-client-urls', m.clientUrl,
      '--listen-peer-urls', m.peerUrl, '--initial-advertise-peer-urls', m.peerUrl,
      '--initial-cluster', initialCluster, '--initial-cluster-state', state, '--initial-cluster-token', path.basename(root),
      // Short heartbeats: a killed leader is replaced within about a second on this small machine.
      '--heartbeat-interval', '100', '--election-timeout', '1000', '--log-level', 'warn',
    ];
    const child = spawn(ETCD_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    m.output = '';
    child.stdout!.on('data', (c: Buffer) => (m.output += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (m.output = (m.output + c.toString()).slice(-20_000)));
    m.process = child;
  };
  for (const m of members) await launch(m, 'new');
  const cluster: EtcdCluster = {
    members,
    endpoints: members.map((m) => m.clientUrl),
    kill: async (index) => {
      const m = members[index]!;
      const child = m.process;
      if (!child?.pid) return;
      if (child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGKILL');
      await exited(child);
      m.process = null;
      m.holders = (await Promise.all([holdPort(m.clientUrl), holdPort(m.peerUrl)])).filter((h): h is net.Server => h !== null);
    },
    restart: async (index) => {
      await launch(members[index]!, 'existing');
      await waitHealthy(members[index]!, 20_000);
    },
    restartAll: async () => {
      const stopped = members.filter((m) => m.process === null);
      for (const m of stopped) await launch(m, 'existing');
      await Promise.all(stopped.map((m) => waitHealthy(m, 30_000)));
    },
    healthy: (index, timeoutMs = 20_000) => waitHealthy(members[index]!, timeoutMs),
    stop: async () => {
      for (const m of members) {
        const child = m.process;
        if (child?.pid && child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGTERM');
      }
      await Promise.all(members.map((m) => (m.process ? exited(m.process) : undefined)));
      await Promise.all(members.map(releasePorts));
      await rm(root, { recursive: true, force: true });
    },
  };
  try {
    await Promise.all(members.map((m) => waitHealthy(m, 30_000)));
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return cluster;
}
