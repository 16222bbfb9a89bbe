// Proxy cost: the same backend process measured direct, through nginx and through slotswap, at each client count, in one run.
import { measureThroughput } from '../lib/throughput.mjs';
import { NGINX_INSTALL_HINT, nginxAvailable, startNginx } from '../lib/nginx.mjs';
import { median } from '../lib/median.mjs';

/**
 * Rounds of interleaved runs (direct, nginx, slotswap per client count); the median round is reported per target.
 * @param {{ daemon: { proxyUrl: string, pid: number, ports: { a: number } }, clientCounts: number[], rounds: number, durationS: number, warmupS: number, log: (s: string) => void }} o
 */
export async function proxyCost(o) {
  const backendPort = o.daemon.ports.a;
  const nginx = nginxAvailable() ? await startNginx(backendPort, o.clientCounts) : null;
  if (!nginx) o.log(NGINX_INSTALL_HINT);
  try {
    const targets = [
      { name: 'direct', url: () => `http://127.0.0.1:${backendPort}/`, pid: null },
      ...(nginx ? [{ name: 'nginx', url: (c) => `${nginx.urls[c]}/`, pid: nginx.pid }] : []),
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
            rssPid: t.name === 'slotswap' ? o.daemon.pid : undefined,
          });
          runs[clients][t.name].push(r);
          o.log(`  ${String(clients).padStart(3)} clients  ${t.name.padEnd(8)} ${String(r.rps).padStart(6)} req/s  p50 ${r.p50Ms} ms  p99 ${r.p99Ms} ms  cpu ${r.cpuUsPerRequest ?? '-'} µs/req`);
        }
      }
    }
    return { nginx: nginx ? { version: nginx.version, workers: nginx.workers } : null, nginxMissing: nginx ? null : NGINX_INSTALL_HINT, runs, summary: summarize(runs) };
  } finally {
    await nginx?.stop();
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
