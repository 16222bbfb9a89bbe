// Hotswap under load: how long requests were held, beside the new server's own start-up time measured standalone; lost requests.
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { HOTSWAP_SERVER, httpRequest } from '../lib/daemon.mjs';
import { startCountingLoad } from '../lib/counting-client.mjs';
import { freePortRange } from '../lib/ports.mjs';
import { sleep, startProcess } from '../lib/processes.mjs';

/** A new "build" of the sample server executable: another version and start-up delay. */
export async function buildExe(dir, version, startupMs) {
  const source = (await readFile(HOTSWAP_SERVER, 'utf8'))
    .replace("const VERSION = '1.0.0';", `const VERSION = '${version}';`)
    .replace('const STARTUP_MS = 0;', `const STARTUP_MS = ${startupMs};`);
  if (!source.includes(`'${version}'`)) throw new Error(`${HOTSWAP_SERVER} no longer has "const VERSION = '1.0.0';" to replace`);
  const file = path.join(dir, 'builds', `server-${version}`);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, source);
  await chmod(file, 0o755);
  return file;
}

/** The executable's own start-up time: spawn -> first 200 on /health (polled every 2 ms), then it is stopped. */
export async function standaloneStartupMs(exe) {
  const port = await freePortRange(1);
  const t0 = performance.now();
  const proc = startProcess(exe, [], { env: { ...process.env, PORT: String(port), SLOTSWAP_INSTANCE: '1' } });
  try {
    for (;;) {
      const ok = await httpRequest(`http://127.0.0.1:${port}/health`, { timeoutMs: 2_000 }).then((a) => a.status === 200, () => false);
      if (ok) return Math.round(performance.now() - t0);
      if (performance.now() - t0 > 20_000) throw new Error(`${exe} did not answer /health within 20 s: ${proc.output()}`);
      await sleep(2);
    }
  } finally {
    await proc.stop(5_000);
  }
}

/**
 * @param {{ daemon: any, startupsMs: number[], clients: number, log: (s: string) => void }} o
 */
export async function hotswapUnderLoad(o) {
  const { daemon } = o;
  // The yardstick: each build's own start-up, measured standalone on a quiet machine (as during a hold, when clients wait).
  const builds = [];
  for (let i = 0; i < o.startupsMs.length; i++) {
    const exe = await buildExe(daemon.dir, `1.${i + 1}.0`, o.startupsMs[i]);
    const tries = [];
    for (let t = 0; t < 3; t++) tries.push(await standaloneStartupMs(exe));
    builds.push({ exe, delayMs: o.startupsMs[i], startupMs: tries.sort((a, b) => a - b)[1] });
  }
  const load = startCountingLoad({ url: `${daemon.proxyUrl}/`, clients: o.clients, maxMs: 120_000 });
  const swaps = [];
  let report;
  try {
    await sleep(500);
    for (const build of builds) {
      const failedBefore = load.report().failed;
      const cli = await daemon.cli(['hotswap', build.exe, '--json'], 60_000);
      if (cli.code !== 0) throw new Error(`hotswap ${build.exe} exited ${cli.code}: ${cli.output.slice(-2000)}`);
      const { update } = JSON.parse(cli.stdout);
      const entry = (await daemon.api('GET', '/api/history?limit=5')).entries.find((e) => e.op === 'hotswap');
      const stepsMs = Object.fromEntries((entry?.steps ?? []).map((st) => [st.name, st.ms]));
      swaps.push({
        version: update.version,
        buildStartupDelayMs: build.delayMs,
        standaloneStartupMs: build.startupMs,
        daemonStartupMs: update.startupMs,
        heldMs: update.heldMs,
        queued: update.queued,
        overStartupMs: update.heldMs - build.startupMs,
        overSwapStartupMs: update.heldMs - update.startupMs,
        failedDuring: load.report().failed - failedBefore,
        stepsMs,
      });
      const s = swaps.at(-1);
      o.log(`  hotswap to ${s.version} (start-up delay ${s.buildStartupDelayMs} ms): held ${s.heldMs} ms, standalone start-up ${s.standaloneStartupMs} ms, start-up in the swap ${s.daemonStartupMs} ms, ${s.queued} queued, ${s.failedDuring} failed`);
      await sleep(300);
    }
  } finally {
    report = await load.stop();
  }
  return { clients: o.clients, swaps, load: report };
}
