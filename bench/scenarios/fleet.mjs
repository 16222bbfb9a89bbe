// Fleet flip propagation (issue 17): 3 etcd members, 3 nodes, keep-alive clients on every node's proxy, deploys through
// node 1. Per deploy: the coordinator's propagationMs (commit returned -> last node's proxy switched) and, read back from
// each node, its own lag (its followedAt against the commit step's end) and its fleet-flip entry's step times.
import { makeRelease, httpRequest } from '../lib/daemon.mjs';
import { startCountingLoad } from '../lib/counting-client.mjs';
import { etcdVersion, startEtcdCluster } from '../lib/etcd-cluster.mjs';
import { startFleetNodes } from '../lib/fleet-nodes.mjs';
import { sleep } from '../lib/processes.mjs';

const NODES = 3;
/** As the fleet tests run them: quick health checks, a short drain so each deploy finds its idle slot stopped soon. */
const NODE_CONFIG = { health: { intervalMs: 50, timeoutMs: 10_000 }, drain: { graceMs: 200, idleMs: 100, timeoutMs: 10_000, stopTimeoutMs: 3_000 } };

/** Nearest-rank percentile of a list of numbers. */
export function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

const served = async (node) => {
  const answer = await httpRequest(`${node.proxyUrl}/`, { timeoutMs: 2_000 }).catch(() => null);
  return answer?.status === 200 ? JSON.parse(answer.body).version : null;
};

/** Milliseconds from the deploy's exit until every node's proxy answers `version` (null: not within 5 s). */
async function everyNodeServes(nodes, version) {
  const started = performance.now();
  while (performance.now() - started < 5_000) {
    const versions = await Promise.all(nodes.map(served));
    if (versions.every((v) => v === version)) return Math.round(performance.now() - started);
    await sleep(10);
  }
  return null;
}

/** The node's history entry of its flip to this deploy: its start (against the commit) and each step's ms. */
async function flipEntry(node, commitAt) {
  const { entries } = await node.api('GET', '/api/history?limit=10&local=true');
  const entry = entries.find((e) => e.op === 'fleet-flip');
  if (!entry) return null;
  return { startedAfterCommitMs: Date.parse(entry.startedAt) - commitAt, stepsMs: Object.fromEntries(entry.steps.map((s) => [s.name, s.ms])) };
}

async function deployOnce(nodes, version) {
  const folder = await makeRelease(nodes[0].dir, version);
  const cli = await nodes[0].cli(['deploy', folder, '--version', version, '--json'], 120_000);
  if (cli.code !== 0) throw new Error(`fleet deploy ${version} exited ${cli.code}: ${cli.output.slice(-2000)}`);
  const answer = JSON.parse(cli.stdout);
  const servedAfterExitMs = await everyNodeServes(nodes, version);
  const commit = answer.steps.find((s) => s.step === 'commit' && s.phase === 'end');
  const commitAt = Date.parse(commit.at);
  const states = await Promise.all(nodes.map((n) => n.api('GET', '/api/fleet/node')));
  const perNode = {};
  for (const [i, node] of nodes.entries()) {
    const s = states[i];
    const lagMs = s.liveDeployId === answer.id ? s.followedAt - commitAt : null;
    const flip = await flipEntry(node, commitAt);
    // What the node spent before its switch outside its steps: the runner's own writes (history entry, journal).
    const stepsBefore = flip ? Object.entries(flip.stepsMs).slice(0, Math.max(0, Object.keys(flip.stepsMs).indexOf('flip'))).reduce((n, [, ms]) => n + ms, 0) : 0;
    perNode[node.name] = { lagMs, flip, outsideStepsMs: lagMs === null || !flip ? null : Math.round(lagMs - flip.startedAfterCommitMs - stepsBefore) };
  }
  return { version, propagationMs: answer.propagationMs, commitMs: commit.ms, servedAfterExitMs, perNode };
}

/**
 * @param {{ deploys: number, clients: number, log: (s: string) => void }} o
 */
export async function fleetPropagation(o) {
  const etcd = etcdVersion();
  if (!etcd) return { skipped: 'etcd is not installed: apt-get install etcd-server (or set ETCD_BIN)' };
  const cluster = await startEtcdCluster(3);
  try {
    const fleet = await startFleetNodes({ endpoints: cluster.endpoints, count: NODES, config: NODE_CONFIG });
    try {
      const loads = fleet.nodes.map((n) => startCountingLoad({ url: `${n.proxyUrl}/`, clients: o.clients, maxMs: 300_000 }));
      const deploys = [];
      let reports;
      try {
        await sleep(500);
        for (let i = 0; i < o.deploys; i++) {
          const d = await deployOnce(fleet.nodes, `1.1.${i + 1}`);
          deploys.push(d);
          o.log(`  deploy ${d.version}: propagation ${d.propagationMs} ms (nodes ${Object.values(d.perNode).map((n) => n.lagMs).join(', ')} ms); every node served it ${d.servedAfterExitMs} ms after the exit`);
        }
      } finally {
        reports = await Promise.all(loads.map((l) => l.stop()));
      }
      const propagation = deploys.map((d) => d.propagationMs);
      const lags = deploys.flatMap((d) => Object.values(d.perNode).map((n) => n.lagMs)).filter((x) => x !== null);
      const stepNames = [...new Set(deploys.flatMap((d) => Object.values(d.perNode).flatMap((n) => Object.keys(n.flip?.stepsMs ?? {}))))];
      const stepsMedianMs = Object.fromEntries(stepNames.map((name) => [name, percentile(deploys.flatMap((d) => Object.values(d.perNode).map((n) => n.flip?.stepsMs[name] ?? 0)), 50)]));
      const result = {
        etcd,
        nodes: NODES,
        clients: o.clients,
        deploys,
        propagationMs: { p50: percentile(propagation, 50), p99: percentile(propagation, 99), max: Math.max(...propagation) },
        nodeLagMs: { p50: percentile(lags, 50), p99: percentile(lags, 99), max: Math.max(...lags) },
        flipStepsMedianMs: stepsMedianMs,
        outsideStepsMedianMs: percentile(deploys.flatMap((d) => Object.values(d.perNode).map((n) => n.outsideStepsMs ?? 0)), 50),
        runnerStartMedianMs: percentile(deploys.flatMap((d) => Object.values(d.perNode).map((n) => n.flip?.startedAfterCommitMs ?? 0)), 50),
        servedAfterExitMaxMs: deploys.some((d) => d.servedAfterExitMs === null) ? null : Math.max(...deploys.map((d) => d.servedAfterExitMs)),
        load: Object.fromEntries(fleet.nodes.map((n, i) => [n.name, reports[i]])),
      };
      o.log(`  propagation p50 ${result.propagationMs.p50} ms, p99 ${result.propagationMs.p99} ms, max ${result.propagationMs.max} ms; failed requests ${fleet.nodes.map((n, i) => `${n.name} ${reports[i].failed} of ${reports[i].sent}`).join(', ')}`);
      return result;
    } finally {
      await fleet.stop();
    }
  } finally {
    await cluster.stop();
  }
}
