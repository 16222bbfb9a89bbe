// Scale with connections: 10, 100, 1,000 and 3,000 keep-alive clients through nginx and through slotswap, in front of the
// same instance, which counts the connections it accepts: req/s, p99, the front's RSS and new upstream connections per request.
import { startPeers } from '../lib/peers.mjs';
import { runLoadChild } from '../lib/load-child.mjs';
import { median } from '../lib/median.mjs';

export const CONNECTION_COUNTS = [10, 100, 1000, 3000];

/**
 * Bounded: counts x targets x rounds x (durationS + a warm-up of 1 s, 2 s from 1,000 clients up). The warm-up's connections
 * are the measured ones: the window holds no accepts or closes, and upstream connections the pool opened for it are counted
 * before the window, so only new ones in it count.
 * @param {{ daemon: { proxyUrl: string, pid: number, ports: { a: number } }, counts?: number[], rounds: number, durationS: number, log: (s: string) => void }} o
 */
export async function connections(o) {
  const counts = o.counts ?? CONNECTION_COUNTS;
  const backend = `http://127.0.0.1:${o.daemon.ports.a}`;
  const peers = await startPeers(o.daemon.ports.a, counts, o.log, ['nginx']);
  try {
    const targets = [
      ...peers.running.map((p) => ({ name: p.name, url: (c) => `${p.urls[c]}/`, pid: p.pid, tree: p.tree })),
      { name: 'slotswap', url: () => `${o.daemon.proxyUrl}/`, pid: o.daemon.pid },
    ];
    // Rounds outermost: one round measures every client count in turn, so a slow phase of the machine falls on all of
    // them and a ratio between counts compares minutes that lie close together.
    const runs = Object.fromEntries(counts.map((c) => [c, Object.fromEntries(targets.map((t) => [t.name, []]))]));
    for (let round = 0; round < o.rounds; round++) {
      for (const clients of counts) {
        for (const t of targets) {
          const r = await runLoadChild({ url: t.url(clients), connections: clients, durationS: o.durationS, warmupS: clients >= 1000 ? 2 : 1, keepConnections: true, cpuPid: t.pid, rssPid: t.pid, tree: t.tree, acceptsUrl: `${backend}/__bench/accepts` }, (o.durationS + 30) * 1000);
          runs[clients][t.name].push(r);
          o.log(`  ${String(clients).padStart(5)} clients  ${t.name.padEnd(8)} round ${round + 1} ${String(r.rps).padStart(6)} req/s  p99 ${r.p99Ms} ms  RSS ${r.rssMaxMb} MB  cpu ${r.cpuUsPerRequest} µs/req  answered ${r.connectionsAnswered}/${clients}  new upstream/req ${r.newUpstreamPerRequest?.toFixed(4)}  failed ${r.errors + r.non2xx + r.timeouts}`);
        }
      }
    }
    const summary = {};
    for (const clients of counts) {
      summary[clients] = Object.fromEntries(Object.entries(runs[clients]).map(([name, list]) => [name, {
        rps: median(list.map((r) => r.rps)),
        rpsByRound: list.map((r) => r.rps),
        p99Ms: median(list.map((r) => r.p99Ms)),
        rssMaxMb: Math.max(...list.map((r) => r.rssMaxMb ?? 0)),
        // The first round's: later rounds start with the heap that 3,000 clients grew.
        rssFirstRoundMb: list[0].rssMaxMb ?? 0,
        connectionsAnswered: Math.min(...list.map((r) => r.connectionsAnswered)),
        cpuUsPerRequest: median(list.map((r) => r.cpuUsPerRequest)),
        newUpstreamPerRequest: median(list.map((r) => r.newUpstreamPerRequest)),
        failed: list.reduce((s, r) => s + r.errors + r.non2xx + r.timeouts, 0),
      }]));
    }
    return { rounds: o.rounds, durationS: o.durationS, missing: peers.missing, summary };
  } finally {
    await peers.stopAll();
  }
}
