// A real etcd cluster for the bench (as test/helpers/etcd-cluster.ts starts one): N members on free loopback ports,
// fresh data folders, short heartbeats; stopped by pid. Debian's etcd-server package provides the binary.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { httpRequest } from './daemon.mjs';
import { freePortRange } from './ports.mjs';
import { sleep, startProcess } from './processes.mjs';

export const ETCD_BIN = process.env.ETCD_BIN ?? 'etcd';

/** The etcd version line, or null when the binary is not installed. */
export function etcdVersion() {
  try {
    return execFileSync(ETCD_BIN, ['--version'], { encoding: 'utf8', timeout: 10_000 }).split('\n')[0].trim();
  } catch {
    return null;
  }
}

async function waitHealthy(member, proc, timeoutMs) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const answer = await httpRequest(`${member.clientUrl}/health`, { timeoutMs: 2_000 }).catch(() => null);
    if (answer?.status === 200 && JSON.parse(answer.body).health === 'true') return;
    if (Date.now() > until) throw new Error(`etcd member ${member.name} not healthy within ${timeoutMs} ms; output:\n${proc.output().slice(-3000)}`);
    await sleep(100);
  }
}

/** @param {number} size @returns {Promise<{ endpoints: string[], pids: number[], stop: () => Promise<void> }>} */
export async function startEtcdCluster(size = 3) {
  const root = await mkdtemp(path.join(os.tmpdir(), 'slotswap-bench-etcd-'));
  const members = [];
  for (let i = 0; i < size; i++) {
    const base = await freePortRange(2);
    members.push({ name: `etcd${i + 1}`, clientUrl: `http://127.0.0.1:${base}`, peerUrl: `http://127.0.0.1:${base + 1}`, dataDir: path.join(root, `etcd${i + 1}`) });
  }
  const initialCluster = members.map((m) => `${m.name}=${m.peerUrl}`).join(',');
  const procs = members.map((m) =>
    startProcess(ETCD_BIN, [
      '--name', m.name, '--data-dir', m.dataDir,
      '--listen-client-urls', m.clientUrl, '--advertise-client-urls', m.clientUrl,
      '--listen-peer-urls', m.peerUrl, '--initial-advertise-peer-urls', m.peerUrl,
      '--initial-cluster', initialCluster, '--initial-cluster-state', 'new', '--initial-cluster-token', path.basename(root),
      // Short heartbeats, as the tests use: a lost leader is replaced within about a second.
      '--heartbeat-interval', '100', '--election-timeout', '1000', '--log-level', 'warn',
    ]),
  );
  const stop = async () => {
    await Promise.all(procs.map((p) => p.stop(10_000)));
    await rm(root, { recursive: true, force: true });
  };
  try {
    await Promise.all(members.map((m, i) => waitHealthy(m, procs[i], 30_000)));
  } catch (err) {
    await stop();
    throw err;
  }
  return { endpoints: members.map((m) => m.clientUrl), pids: procs.map((p) => p.pid), stop };
}
