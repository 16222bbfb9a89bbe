// Closed-loop load that counts every request's outcome (autocannon reconnects silently and hides dropped requests):
// N keep-alive clients, each sending its next request when the last one is answered, bounded in time.
import http from 'node:http';

/**
 * @param {{ url: string, clients: number, maxMs: number, timeoutMs?: number }} o
 * @returns {{ stop: () => Promise<LoadReport>, report: () => LoadReport }}
 *
 * @typedef {{ sent: number, ok: number, failed: number, errors: Record<string, number>, versions: Record<string, number>, maxLatencyMs: number, ms: number }} LoadReport
 */
export function startCountingLoad(o) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: o.clients });
  const started = performance.now();
  const report = { sent: 0, ok: 0, failed: 0, errors: {}, versions: {}, maxLatencyMs: 0, ms: 0 };
  let stopping = false;
  const fail = (why) => {
    report.failed++;
    report.errors[why] = (report.errors[why] ?? 0) + 1;
  };
  const once = () =>
    new Promise((resolve) => {
      const t0 = performance.now();
      report.sent++;
      const req = http.request(o.url, { agent, timeout: o.timeoutMs ?? 30_000 }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('error', (err) => {
          fail(`response ${err.message}`);
          resolve();
        });
        res.on('end', () => {
          report.maxLatencyMs = Math.max(report.maxLatencyMs, performance.now() - t0);
          if (res.statusCode !== 200) {
            fail(`HTTP ${res.statusCode}`);
            return resolve();
          }
          try {
            const version = JSON.parse(Buffer.concat(chunks).toString('utf8')).version ?? '?';
            report.versions[version] = (report.versions[version] ?? 0) + 1;
            report.ok++;
          } catch {
            fail('unparsable body');
          }
          resolve();
        });
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (err) => {
        fail(err.code ?? err.message);
        resolve();
      });
      req.end();
    });
  const client = async () => {
    while (!stopping && performance.now() - started < o.maxMs) await once();
  };
  const done = Promise.all(Array.from({ length: o.clients }, client)).then(() => {
    agent.destroy();
    report.ms = Math.round(performance.now() - started);
    return report;
  });
  return {
    report: () => report,
    stop: async () => {
      stopping = true;
      return done;
    },
  };
}
