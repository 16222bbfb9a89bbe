// One bounded autocannon run against a URL: requests/s, latency percentiles (µs resolution) and the CPU a process spent per request.
import autocannon from 'autocannon';
import { cpuSeconds, rssMb, treeRssMb, treeCpuSeconds } from './processes.mjs';

/** Latency histogram with 10 µs buckets up to 10 s (autocannon's own keeps whole milliseconds only). */
export class LatencyHistogram {
  constructor() {
    this.buckets = new Uint32Array(1_000_001);
    this.count = 0;
  }
  /** @param {number} ms */
  record(ms) {
    this.buckets[Math.min(Math.round(ms * 100), 1_000_000)]++;
    this.count++;
  }
  /** @param {number} p percentile 0..100 @returns {number} milliseconds */
  percentile(p) {
    const rank = Math.ceil((p / 100) * this.count);
    let seen = 0;
    for (let i = 0; i < this.buckets.length; i++) {
      seen += this.buckets[i];
      if (seen >= rank && seen > 0) return i / 100;
    }
    return NaN;
  }
}

function runAutocannon(options, onResponse) {
  return new Promise((resolve, reject) => {
    const instance = autocannon({ ...options, excludeErrorStats: true }, (err, result) => (err ? reject(err) : resolve(result)));
    if (onResponse) instance.on('response', onResponse);
  });
}

/**
 * Warm-up, then a measured run of durationS seconds with `connections` keep-alive clients.
 * `request` (method, body, headers) is sent as every request; `beforeMeasure` runs between the warm-up and the measured run.
 * `tree`: CPU and RSS of the process and its children (nginx's master and workers); without it the process alone (the
 * daemon's children are its app instances, the very backend being measured).
 * @param {{ url: string, connections: number, durationS: number, warmupS?: number, cpuPid?: number, rssPid?: number, tree?: boolean, request?: { method?: string, body?: string | Buffer, headers?: Record<string, string> }, beforeMeasure?: () => Promise<void> }} o
 */
export async function measureThroughput(o) {
  const cpuOf = o.tree ? treeCpuSeconds : cpuSeconds;
  const rssOf = o.tree ? treeRssMb : rssMb;
  const request = o.request ?? {};
  if (o.warmupS) await runAutocannon({ url: o.url, connections: o.connections, duration: o.warmupS, timeout: 10, ...request });
  if (o.beforeMeasure) await o.beforeMeasure();
  const histogram = new LatencyHistogram();
  // Connections that got at least one answer in the measured run: a p99 over the rest says nothing of one never answered.
  const answeredClients = new Set();
  let rssMax = 0;
  const rssTimer = o.rssPid ? setInterval(() => (rssMax = Math.max(rssMax, rssOf(o.rssPid))), 200) : null;
  const cpuBefore = o.cpuPid ? cpuOf(o.cpuPid) : 0;
  const started = performance.now();
  let result;
  try {
    result = await runAutocannon({ url: o.url, connections: o.connections, duration: o.durationS, timeout: 10, ...request }, (client, status, _bytes, ms) => {
      if (status >= 200 && status < 300) {
        histogram.record(ms);
        answeredClients.add(client);
      }
    });
  } finally {
    if (rssTimer) clearInterval(rssTimer);
  }
  const seconds = (performance.now() - started) / 1000;
  const cpu = o.cpuPid ? cpuOf(o.cpuPid) - cpuBefore : NaN;
  if (o.rssPid) rssMax = Math.max(rssMax, rssOf(o.rssPid));
  const ok = result['2xx'];
  return {
    ...windowFigures({ connections: o.connections, seconds: result.duration, cpuWindowS: seconds, ok, histogram, answeredClients, cpu, cpuPid: o.cpuPid, rssMax: o.rssPid ? rssMax : null }, result),
    requests: result.requests.total,
    // autocannon does not count a request whose connection closed unanswered: it shows only as sent - answered.
    unanswered: Math.max(0, result.requests.sent - result.requests.total - o.connections),
  };
}

/** What a measured window yields, however it was cut out of the load: req/s, latency, failures, CPU and RSS. */
export function windowFigures(w, result) {
  return {
    connections: w.connections,
    seconds: Number(w.seconds.toFixed(2)),
    requests: w.ok,
    rps: Math.round(w.ok / w.seconds),
    p50Ms: w.histogram.percentile(50),
    p99Ms: w.histogram.percentile(99),
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    cpuSeconds: Number(w.cpu.toFixed(2)),
    cpuUsPerRequest: w.cpuPid && w.ok > 0 ? Number(((w.cpu / w.ok) * 1e6).toFixed(1)) : null,
    // The CPU was read over the wall time around the run, which can differ a little from autocannon's own duration.
    cpuShare: w.cpuPid ? Number((w.cpu / (w.cpuWindowS ?? w.seconds)).toFixed(2)) : null,
    rssMaxMb: w.rssMax === null ? null : Number(w.rssMax.toFixed(1)),
    connectionsAnswered: w.answeredClients.size,
  };
}
