// Flip step time and memory: alternate POST /api/flip while both slots run (long drain grace), RSS after a warm-up vs after.
import { makeRelease } from '../lib/daemon.mjs';
import { startCountingLoad } from '../lib/counting-client.mjs';
import { collectGarbage } from '../lib/inspector-gc.mjs';
import { rssMb, sleep } from '../lib/processes.mjs';

/**
 * RSS at a quiet point (no load, a second after the last flip), then again after a full GC forced through the inspector:
 * the first moves by +-15 MB with V8's heap sizing alone, the second is stable to about 1 MB, so growth is judged on it.
 */
async function quietRss(pid, inspectPort) {
  await sleep(1000);
  const raw = rssMb(pid);
  const { heapUsedMb } = await collectGarbage(inspectPort);
  await sleep(500);
  return { raw, afterGc: rssMb(pid), heapUsedMb };
}

/**
 * @param {{ daemon: any, inspectPort: number, warmup: number, flips: number, clients: number, log: (s: string) => void }} o
 */
export async function flipsAndMemory(o) {
  const { daemon } = o;
  // Put a second release in slot b: afterwards both slots run (the old one drains for an hour), so every flip is instant.
  const release = await makeRelease(daemon.dir, '1.1.0');
  const cli = await daemon.cli(['deploy', release, '--version', '1.1.0'], 60_000);
  if (cli.code !== 0) throw new Error(`deploy 1.1.0 exited ${cli.code}: ${cli.output.slice(-2000)}`);
  const switchMs = [];
  const flipMs = [];
  const run = async (count) => {
    const load = startCountingLoad({ url: `${daemon.proxyUrl}/`, clients: o.clients, maxMs: 120_000 });
    let report;
    try {
      for (let i = 0; i < count; i++) {
        const t0 = performance.now();
        const answer = await daemon.api('POST', '/api/flip');
        flipMs.push(performance.now() - t0);
        switchMs.push(answer.switchMs);
      }
    } finally {
      report = await load.stop();
    }
    return report;
  };
  const rssStart = await quietRss(daemon.pid, o.inspectPort);
  const warm = await run(o.warmup);
  const rssAfterWarmup = await quietRss(daemon.pid, o.inspectPort);
  const measured = await run(o.flips);
  const rssAfter = await quietRss(daemon.pid, o.inspectPort);
  const sorted = [...switchMs].sort((a, b) => a - b);
  const pct = (p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
  const apiSorted = [...flipMs].sort((a, b) => a - b);
  const result = {
    warmup: o.warmup,
    flips: switchMs.length,
    switchMs: { p50: pct(50), p99: pct(99), max: sorted.at(-1) },
    flipApiMs: { p50: Number(apiSorted[Math.floor(apiSorted.length / 2)].toFixed(1)), max: Number(apiSorted.at(-1).toFixed(1)) },
    rssMb: {
      start: round(rssStart.afterGc),
      afterWarmup: round(rssAfterWarmup.afterGc),
      after: round(rssAfter.afterGc),
      growth: round(rssAfter.afterGc - rssAfterWarmup.afterGc),
      withoutGc: { afterWarmup: round(rssAfterWarmup.raw), after: round(rssAfter.raw), growth: round(rssAfter.raw - rssAfterWarmup.raw) },
      jsHeapAfterGc: { afterWarmup: round(rssAfterWarmup.heapUsedMb), after: round(rssAfter.heapUsedMb), growth: round(rssAfter.heapUsedMb - rssAfterWarmup.heapUsedMb) },
    },
    load: { clients: o.clients, sent: warm.sent + measured.sent, ok: warm.ok + measured.ok, failed: warm.failed + measured.failed, errors: { ...warm.errors, ...measured.errors } },
  };
  o.log(`  ${result.flips} flips: switch p50 ${result.switchMs.p50} ms, max ${result.switchMs.max} ms; RSS ${result.rssMb.afterWarmup} MB after ${o.warmup}, ${result.rssMb.after} MB after ${o.warmup + o.flips}; ${result.load.failed} of ${result.load.sent} requests failed`);
  return result;
}

const round = (x) => Number(x.toFixed(1));
