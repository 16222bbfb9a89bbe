// Proxy cost: the same backend process measured direct, through nginx, HAProxy, Caddy and slotswap, at each client count, in one run.
import { measureThroughput } from '../lib/throughput.mjs';
import { startPeers } from '../lib/peers.mjs';
import { median } from '../lib/median.mjs';

/**
 * Rounds of interleaved runs (direct, nginx, slotswap per client count); the median round is reported per target.
 * @param {{ daemon: { proxyUrl: string, pid: number, ports: { a: number } }, clientCounts: number[], rounds: number, durationS: number, warmupS: number, log: (s: string) => void }} o
 */
export async function proxyCost(o) {
  const backendPort = o.daemon.ports.a;
  const peers = await startPeers(backendPort, o.clientCounts, o.log);
  const nginx = peers.running.find((p) => p.name === 'nginx') ?? null;
  try {
    const targets = [
      { name: 'direct', url: () => `http://127.0.0.1:${backendPort}/`, pid: null },
      ...peers.running.map((p) => ({ name: p.name, url: (c) => `${p.urls[c]}/`, pid: p.pid, tree: p.tree })),
      { name: 'slotswap', url: () => `${o.daemon.proxyUrl}/`, pid: o.daemon.pid },
    ];
    /** @type {Record<number, Record<string, object[]>>} */
    const runs = {};
    for (const clients of o.clientCounts) {
      runs[clients] = Object.fromEntries(targets.map((t) => [t.name, []]));
      for (let round = 0; round < o.rounds; round++) {
        for (const t of targets) {
          const r = await measureThroughput({
            url: t.url(clients),
            connections: clients,
            durationS: o.durationS,
            warmupS: round === 0 ? o.warmupS : 0,
            cpuPid: t.pid ?? undefined,
            rssPid: t.pid ?? undefined,
            tree: t.tree,
          });
          runs[clients][t.name].push(r);
          o.log(`  ${String(clients).padStart(3)} clients  ${t.name.padEnd(8)} round ${round + 1} ${String(r.rps).padStart(6)} req/s  p50 ${r.p50Ms} ms  p99 ${r.p99Ms} ms  cpu ${r.cpuUsPerRequest ?? '-'} µs/req`);
        }
      }
    }
    return {
      nginx: nginx ? { version: nginx.version, workers: nginx.workers } : null,
      nginxMissing: peers.missing.nginx ?? null,
      peers: Object.fromEntries(peers.running.map((p) => [p.name, p.label])),
      missing: peers.missing,
      runs,
      summary: summarize(runs),
    };
  } finally {
    await peers.stopAll();
  }
}

/** Medians over rounds, and the ratios slotswap/nginx and slotswap/direct. */
function summarize(runs) {
  const out = {};
  for (const [clients, byTarget] of Object.entries(runs)) {
    const row = {};
    for (const [name, list] of Object.entries(byTarget)) {
      row[name] = {
        rps: median(list.map((r) => r.rps)),
        p50Ms: median(list.map((r) => r.p50Ms)),
        p99Ms: median(list.map((r) => r.p99Ms)),
        cpuUsPerRequest: median(list.map((r) => r.cpuUsPerRequest)),
        failed: list.reduce((s, r) => s + r.errors + r.non2xx + r.timeouts, 0),
        rssMaxMb: list.some((r) => r.rssMaxMb !== null) ? Math.max(...list.map((r) => r.rssMaxMb ?? 0)) : null,
      };
    }
    const s = row.slotswap;
    const ratio = (a, b) => (a !== null && b ? Number((a / b).toFixed(3)) : null);
    // slotswap's req/s over each other target's, in the same rounds.
    row.slotswapTo = Object.fromEntries(Object.keys(row).filter((n) => n !== 'slotswap').map((n) => [n, ratio(s.rps, row[n].rps)]));
    row.ratios = {
      slotswapToNginx: row.nginx ? ratio(s.rps, row.nginx.rps) : null,
      slotswapToDirect: ratio(s.rps, row.direct.rps),
      cpuSlotswapToNginx: row.nginx ? ratio(s.cpuUsPerRequest, row.nginx.cpuUsPerRequest) : null,
      p50AddedMs: Number((s.p50Ms - row.direct.p50Ms).toFixed(2)),
      p99AddedMs: Number((s.p99Ms - row.direct.p99Ms).toFixed(2)),
      nginxP50AddedMs: row.nginx ? Number((row.nginx.p50Ms - row.direct.p50Ms).toFixed(2)) : null,
      nginxP99AddedMs: row.nginx ? Number((row.nginx.p99Ms - row.direct.p99Ms).toFixed(2)) : null,
    };
    out[clients] = row;
  }
  return out;
}
