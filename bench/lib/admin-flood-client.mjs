// A separate process that floods the admin API with anonymous POSTs (15 KB paths, keep-alive), so the bench's own
// latency loop does not share an event loop with the flood. Usage: node admin-flood-client.mjs <adminUrl> <concurrency> <maxMs>
// Stops on SIGTERM or after maxMs, and prints {"sent":n,"statuses":{...}} as its last line.
import http from 'node:http';

const [adminUrl, concurrencyArg, maxMsArg] = process.argv.slice(2);
const concurrency = Number(concurrencyArg);
const until = performance.now() + Number(maxMsArg);
const LONG_PATH = `/api/${'x'.repeat(15_000)}`;
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
const statuses = {};
let sent = 0;
let stopping = false;
process.on('SIGTERM', () => (stopping = true));

const once = (i) =>
  new Promise((resolve) => {
    const req = http.request(`${adminUrl}${LONG_PATH}/${i}`, { method: 'POST', agent, headers: { 'content-type': 'application/json' }, timeout: 10_000 }, (res) => {
      res.resume();
      res.on('end', () => ((statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1), resolve()));
      res.on('error', () => resolve());
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => ((statuses.error = (statuses.error ?? 0) + 1), resolve()));
    req.end('{}');
  });

await Promise.all(Array.from({ length: concurrency }, async () => {
  while (!stopping && performance.now() < until) await once(sent++);
}));
agent.destroy();
console.log(JSON.stringify({ sent, pathBytes: LONG_PATH.length, statuses }));
