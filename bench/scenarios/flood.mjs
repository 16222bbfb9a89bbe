// Admin flood: the public proxy's latency alone (closed-loop keep-alive clients in this process), then while the admin API gets anonymous POSTs with long paths (all 401).
// A refused call must never write the state file, so the proxy's p99 should stay within a few ms of its baseline.
import http from 'node:http';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { httpRequest } from '../lib/daemon.mjs';
import { sleep, startProcess } from '../lib/processes.mjs';

const FLOOD_CLIENT = path.join(import.meta.dirname, '../lib/admin-flood-client.mjs');

/** Closed-loop keep-alive clients for `ms`; every request's latency is kept. */
async function measureProxy(url, clients, ms) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
  const latencies = [];
  let failed = 0;
  const until = performance.now() + ms;
  const once = () =>
    new Promise((resolve) => {
      const t0 = performance.now();
      const req = http.request(url, { agent, timeout: 10_000 }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode === 200) latencies.push(performance.now() - t0);
          else failed++;
          resolve();
        });
        res.on('error', () => (failed++, resolve()));
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', () => (failed++, resolve()));
      req.end();
    });
  await Promise.all(Array.from({ length: clients }, async () => {
    while (performance.now() < until) await once();
  }));
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const pct = (p) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)] : null);
  return { requests: latencies.length, failed, p50Ms: round(pct(50)), p99Ms: round(pct(99)), maxMs: round(latencies.at(-1) ?? null) };
}

/** The flood runs in its own process (bench/lib/admin-flood-client.mjs), so it does not slow the latency loop itself. */
function startFlood(adminUrl, concurrency, maxMs) {
  const proc = startProcess(process.execPath, [FLOOD_CLIENT, adminUrl, String(concurrency), String(maxMs)]);
  return {
    stop: async () => {
      await proc.stop(10_000);
      const last = proc.output().trim().split('\n').at(-1) ?? '';
      try {
        return JSON.parse(last);
      } catch {
        throw new Error(`the flood client printed no report: ${proc.output().slice(-500)}`);
      }
    },
  };
}

/** The daemon's count of refused admin requests, from /metrics. */
async function refusedCount(daemon) {
  const answer = await httpRequest(`${daemon.adminUrl}/metrics`, { headers: { authorization: `Bearer ${daemon.token}` } });
  return Number(/^slotswap_admin_auth_failures_total (\d+)$/m.exec(answer.body)?.[1] ?? 0);
}

/**
 * @param {{ daemon: any, clients: number, floodConcurrency: number, seconds: number, log: (s: string) => void }} o
 */
export async function adminFlood(o) {
  const { daemon } = o;
  const url = `${daemon.proxyUrl}/`;
  const stateFile = path.join(daemon.dir, 'state/slotswap.json');
  const ms = o.seconds * 1000;
  await measureProxy(url, o.clients, 1000);
  const baseline = await measureProxy(url, o.clients, ms);
  const sizeBefore = (await stat(stateFile)).size;
  const flood = startFlood(daemon.adminUrl, o.floodConcurrency, ms + 10_000);
  let flooded;
  let floodReport;
  try {
    // Measured only once the flood is really arriving (the client process takes a moment to start).
    for (const until = performance.now() + 5000; (await refusedCount(daemon)) === 0 && performance.now() < until; ) await sleep(20);
    flooded = await measureProxy(url, o.clients, ms);
  } finally {
    floodReport = await flood.stop();
  }
  const sizeAfter = (await stat(stateFile)).size;
  const result = {
    clients: o.clients,
    seconds: o.seconds,
    baseline,
    flooded,
    addedMs: { p50: round(flooded.p50Ms - baseline.p50Ms), p99: round(flooded.p99Ms - baseline.p99Ms) },
    flood: { concurrency: o.floodConcurrency, ...floodReport },
    stateFileBytes: { before: sizeBefore, after: sizeAfter },
  };
  o.log(`  proxy alone p50 ${baseline.p50Ms} ms p99 ${baseline.p99Ms} ms; flooded (${floodReport.sent} anonymous POSTs) p50 ${flooded.p50Ms} ms p99 ${flooded.p99Ms} ms; state file ${sizeBefore} -> ${sizeAfter} bytes`);
  return result;
}

const round = (x) => (x === null ? null : Number(x.toFixed(2)));
