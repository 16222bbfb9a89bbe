// Request bodies: POSTs of 1 KiB, 64 KiB and 1 MiB to the sample API's /echo, direct, through nginx and through slotswap,
// in interleaved rounds; reported in MiB/s of request body carried (and req/s).
import { measureThroughput } from '../lib/throughput.mjs';
import { startPeers } from '../lib/peers.mjs';
import { median } from '../lib/median.mjs';

export const BODY_SIZES = [1024, 64 * 1024, 1024 * 1024];

/**
 * @param {{ daemon: { proxyUrl: string, pid: number, ports: { a: number } }, clients: number, rounds: number, durationS: number, log: (s: string) => void }} o
 */
export async function bodies(o) {
  const backendPort = o.daemon.ports.a;
  const peers = await startPeers(backendPort, [o.clients], o.log, ['nginx']);
  try {
    const targets = [
      { name: 'direct', base: `http://127.0.0.1:${backendPort}`, pid: null },
      ...peers.running.map((p) => ({ name: p.name, base: p.urls[o.clients], pid: p.pid, tree: p.tree })),
      { name: 'slotswap', base: o.daemon.proxyUrl, pid: o.daemon.pid },
    ];
    const summary = {};
    for (const size of BODY_SIZES) {
      const body = Buffer.alloc(size, 'x');
      const request = { method: 'POST', body, headers: { 'content-type': 'application/octet-stream' } };
      const runs = Object.fromEntries(targets.map((t) => [t.name, []]));
      for (let round = 0; round < o.rounds; round++) {
        for (const t of targets) {
          const r = await measureThroughput({ url: `${t.base}/echo`, connections: o.clients, durationS: o.durationS, warmupS: round === 0 ? 1 : 0, cpuPid: t.pid ?? undefined, tree: t.tree, request });
          const mibPerS = Number(((r.rps * size) / 2 ** 20).toFixed(1));
          runs[t.name].push({ ...r, mibPerS });
          o.log(`  ${String(size / 1024).padStart(5)} KiB  ${t.name.padEnd(8)} round ${round + 1} ${String(r.rps).padStart(6)} req/s  ${mibPerS} MiB/s  p99 ${r.p99Ms} ms  failed ${r.errors + r.non2xx + r.timeouts}`);
        }
      }
      summary[size] = Object.fromEntries(Object.entries(runs).map(([name, list]) => [name, {
        rps: median(list.map((r) => r.rps)),
        mibPerS: median(list.map((r) => r.mibPerS)),
        p99Ms: median(list.map((r) => r.p99Ms)),
        cpuUsPerRequest: median(list.map((r) => r.cpuUsPerRequest)),
        failed: list.reduce((s, r) => s + r.errors + r.non2xx + r.timeouts, 0),
      }]));
    }
    return { clients: o.clients, rounds: o.rounds, durationS: o.durationS, missing: peers.missing, summary };
  } finally {
    await peers.stopAll();
  }
}
