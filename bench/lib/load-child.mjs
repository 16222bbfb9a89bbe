// One measured run in its own process (started by runLoadChild with the descriptor limit raised to the hard limit, so
// 3,000 keep-alive clients fit): warm-up, the backend's accept count, the run, the count again; JSON on the last line.
import { spawn } from 'node:child_process';
import { httpRequest } from './daemon.mjs';
import { measureThroughput } from './throughput.mjs';
import { measureKeptConnections } from './kept-connections.mjs';

const MARK = 'LOAD-RESULT ';

async function accepts(url) {
  return url ? JSON.parse((await httpRequest(url, { timeoutMs: 5_000 })).body).accepted : null;
}

/** keepConnections: the warm-up's connections are the measured ones (bench/lib/kept-connections.mjs). @param {{ url: string, connections: number, durationS: number, warmupS: number, cpuPid?: number, rssPid?: number, acceptsUrl?: string, keepConnections?: boolean }} o */
async function child(o) {
  let before = null;
  const measure = o.keepConnections ? measureKeptConnections : measureThroughput;
  const r = await measure({ ...o, beforeMeasure: async () => void (before = await accepts(o.acceptsUrl)) });
  const after = await accepts(o.acceptsUrl);
  // The probe before the run is itself one accepted connection.
  const opened = before === null ? null : Math.max(0, after - before - 1);
  process.stdout.write(`\n${MARK}${JSON.stringify({ ...r, upstreamOpened: opened, newUpstreamPerRequest: opened === null ? null : opened / Math.max(1, r.requests) })}\n`);
}

/** Runs child() in a fresh node whose soft descriptor limit is raised to the hard one (sh's ulimit: no setrlimit in Node). */
export function runLoadChild(o, timeoutMs) {
  return new Promise((resolve, reject) => {
    const script = 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" "$@"';
    const proc = spawn('sh', ['-c', script, process.execPath, import.meta.filename, JSON.stringify(o)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout.on('data', (c) => (out += c));
    proc.stderr.on('data', (c) => (out += c));
    const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      const line = out.split('\n').find((l) => l.startsWith(MARK));
      if (line) resolve(JSON.parse(line.slice(MARK.length)));
      else reject(new Error(`the load process exited ${code} without a result: ${out.slice(-2000)}`));
    });
  });
}

if (import.meta.filename === process.argv[1]) {
  child(JSON.parse(process.argv[2])).then(() => process.exit(0), (err) => {
    console.error(err.stack ?? err);
    process.exit(1);
  });
}
