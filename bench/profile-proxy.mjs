// `node bench/profile-proxy.mjs [clients] [seconds]`: runs the daemon under `node --cpu-prof`, loads its proxy with autocannon,
// and prints where the daemon's CPU went (self time by function, and by package), so the hot path can be read without a GUI.
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startDaemon } from './lib/daemon.mjs';
import { measureThroughput } from './lib/throughput.mjs';
import { killAllStarted } from './lib/processes.mjs';

const clients = Number(process.argv[2] ?? 100);
const seconds = Number(process.argv[3] ?? 5);
const top = Number(process.env.TOP ?? 30);

/** Self time per function and per package (node_modules/<name>, node:internal, slotswap's dist, ...) of a .cpuprofile. */
export function summarizeProfile(profile) {
  const self = new Map();
  const dt = profile.timeDeltas;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const ticks = new Map();
  for (let i = 0; i < profile.samples.length; i++) ticks.set(profile.samples[i], (ticks.get(profile.samples[i]) ?? 0) + (dt[i] ?? 0));
  let total = 0;
  const packages = new Map();
  for (const [id, us] of ticks) {
    const node = byId.get(id);
    const f = node.callFrame;
    const file = f.url.replace(/^file:\/\//, '');
    const where = file.includes('node_modules/')
      ? file.split('node_modules/').pop().split('/')[0]
      : file.includes('/dist/')
        ? `slotswap dist/${file.split('/dist/').pop()}`
        : file.startsWith('node:')
          ? `node:${file.slice(5).split('/')[0]}`
          : f.functionName.startsWith('(')
            ? f.functionName
            : file === ''
              ? 'native (socket writes, V8 builtins)'
              : 'other';
    const key = `${f.functionName || '(anonymous)'}  ${path.basename(file)}:${f.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + us);
    packages.set(where, (packages.get(where) ?? 0) + us);
    total += us;
  }
  const rows = (m) => [...m].sort((a, b) => b[1] - a[1]).map(([k, us]) => ({ what: k, ms: Math.round(us / 1000), share: Number(((us / total) * 100).toFixed(1)) }));
  return { totalMs: Math.round(total / 1000), functions: rows(self), packages: rows(packages) };
}

async function main() {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'slotswap-prof-'));
  const daemon = await startDaemon({ name: 'profile', nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`] });
  let result;
  try {
    result = await measureThroughput({ url: `${daemon.proxyUrl}/`, connections: clients, durationS: seconds, warmupS: 1, cpuPid: daemon.pid });
  } finally {
    await daemon.stop();
  }
  const files = (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile'));
  if (files.length === 0) throw new Error(`no profile written in ${dir}`);
  const summary = summarizeProfile(JSON.parse(await readFile(path.join(dir, files[0]), 'utf8')));
  console.log(`${clients} clients, ${seconds} s: ${result.rps} req/s, ${result.cpuUsPerRequest} µs CPU per request in the daemon`);
  console.log(`profile: ${path.join(dir, files[0])} (open it in Chrome DevTools > Performance for the flame chart)\n`);
  console.log('self time by package');
  for (const r of summary.packages.slice(0, 15)) console.log(`  ${String(r.share).padStart(5)} %  ${r.what}`);
  console.log('\nself time by function');
  for (const r of summary.functions.slice(0, top)) console.log(`  ${String(r.share).padStart(5)} %  ${r.what}`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err) => {
    console.error(err);
    killAllStarted();
    process.exit(1);
  });
}
