// A real 3-member etcd cluster on loopback ports (the bench's port finder), fresh data dirs, stopped by pid.
import { spawn, type ChildProcess } from 'node:child_process';
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
  const launch = (m: EtcdMember, state: 'new' | 'existing') => {
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
  for (const m of members) launch(m, 'new');
  const cluster: EtcdCluster = {
    members,
    endpoints: members.map((m) => m.clientUrl),
    kill: async (index) => {
      const child = members[index]!.process;
      if (!child?.pid) return;
      process.kill(child.pid, 'SIGKILL');
      await exited(child);
      members[index]!.process = null;
    },
    restart: async (index) => {
      launch(members[index]!, 'existing');
      await waitHealthy(members[index]!, 20_000);
    },
    restartAll: async () => {
      const stopped = members.filter((m) => m.process === null);
      for (const m of stopped) launch(m, 'existing');
      await Promise.all(stopped.map((m) => waitHealthy(m, 30_000)));
    },
    healthy: (index, timeoutMs = 20_000) => waitHealthy(members[index]!, timeoutMs),
    stop: async () => {
      for (const m of members) {
        const child = m.process;
        if (child?.pid && child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGTERM');
      }
      await Promise.all(members.map((m) => (m.process ? exited(m.process) : undefined)));
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
