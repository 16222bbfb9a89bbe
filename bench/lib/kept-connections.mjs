// One autocannon run whose connections outlive the warm-up: only the window after it is measured, so a figure for N
// keep-alive clients holds no accepts, connection set-ups or closes (a second run would open N new connections).
import autocannon from 'autocannon';
import { LatencyHistogram, windowFigures } from './throughput.mjs';
import { cpuSeconds, rssMb, treeCpuSeconds, treeRssMb } from './processes.mjs';

/**
 * @param {{ url: string, connections: number, durationS: number, warmupS: number, cpuPid?: number, rssPid?: number, tree?: boolean, beforeMeasure?: () => Promise<void> }} o
 */
export async function measureKeptConnections(o) {
  const cpuOf = o.tree ? treeCpuSeconds : cpuSeconds;
  const rssOf = o.tree ? treeRssMb : rssMb;
  const histogram = new LatencyHistogram();
  const answeredClients = new Set();
  let measuring = false;
  let ok = 0;
  let cpuBefore = 0;
  let startedAt = 0;
  let endedAt = 0;
  let rssMax = 0;
  let rssTimer = null;
  let windowClosed = null;
  const done = new Promise((resolve, reject) => {
    const instance = autocannon({ url: o.url, connections: o.connections, duration: o.warmupS + o.durationS + 1, timeout: 10, excludeErrorStats: true }, (err, result) => (err ? reject(err) : resolve(result)));
    instance.on('response', (client, status, _bytes, ms) => {
      if (!measuring || status < 200 || status >= 300) return;
      ok++;
      histogram.record(ms);
      answeredClients.add(client);
    });
    const measure = async () => {
      if (o.beforeMeasure) await o.beforeMeasure();
      cpuBefore = o.cpuPid ? cpuOf(o.cpuPid) : 0;
      if (o.rssPid) rssTimer = setInterval(() => (rssMax = Math.max(rssMax, rssOf(o.rssPid))), 200);
      startedAt = performance.now();
      measuring = true;
      await new Promise((r) => setTimeout(r, o.durationS * 1000));
      measuring = false;
      endedAt = performance.now();
      if (rssTimer) clearInterval(rssTimer);
      windowClosed = { cpu: o.cpuPid ? cpuOf(o.cpuPid) - cpuBefore : NaN, rss: o.rssPid ? Math.max(rssMax, rssOf(o.rssPid)) : 0 };
      // The run's last second is slack for beforeMeasure; stop it now.
      instance.stop();
    };
    setTimeout(() => measure().catch(reject), o.warmupS * 1000);
  });
  const result = await done;
  if (windowClosed === null) throw new Error('the load ended before its measured window closed');
  const seconds = (endedAt - startedAt) / 1000;
  return windowFigures({ connections: o.connections, seconds, ok, histogram, answeredClients, cpu: windowClosed.cpu, cpuPid: o.cpuPid, rssMax: o.rssPid ? windowClosed.rss : null }, result);
}
