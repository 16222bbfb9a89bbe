// Zero downtime: N consecutive deploys (each flips, drains and stops the old slot) while closed-loop clients count every request.
import { makeRelease } from '../lib/daemon.mjs';
import { startCountingLoad } from '../lib/counting-client.mjs';
import { sleep } from '../lib/processes.mjs';

/** The `switch X ms` figure from a flip step's detail. */
export function switchMsOf(detail) {
  const match = /switch ([\d.]+) ms/.exec(detail ?? '');
  return match ? Number(match[1]) : null;
}

/** One deploy through the CLI (pack, upload, place, start, health, flip, drain, stop), with its timings. */
async function deployOnce(daemon, folder, version) {
  const startedAt = Date.now();
  const cli = await daemon.cli(['deploy', folder, '--version', version, '--wait-drain', '--json'], 60_000);
  if (cli.code !== 0) throw new Error(`deploy ${version} exited ${cli.code}: ${cli.output.slice(-2000)}`);
  const answer = JSON.parse(cli.stdout);
  const steps = Object.fromEntries(answer.steps.filter((s) => s.phase === 'end').map((s) => [s.step, s]));
  const firstBegin = answer.steps.find((s) => s.phase === 'begin');
  const flippedAt = Date.parse(steps.flip.at);
  return {
    version,
    // What the operator waits for: from typing the command (CLI start, pack, upload) to the new slot live.
    toFlippedMs: flippedAt - startedAt,
    // The daemon's own part: place (verify, extract), start, health, flip.
    serverMs: flippedAt - Date.parse(firstBegin.at),
    stepsMs: Object.fromEntries(Object.entries(steps).map(([name, s]) => [name, s.ms])),
    switchMs: switchMsOf(steps.flip.detail),
    withDrainMs: Math.round(cli.ms),
  };
}

/**
 * First `quiet` deploys with no traffic (the time of the operation itself), then `deploys` under closed-loop load.
 * @param {{ daemon: any, quiet: number, deploys: number, clients: number, log: (s: string) => void }} o
 */
export async function deploysUnderLoad(o) {
  const { daemon } = o;
  const versions = Array.from({ length: o.quiet + o.deploys }, (_, i) => `1.0.${i + 1}`);
  const folders = [];
  for (const version of versions) folders.push(await makeRelease(daemon.dir, version));
  const quiet = [];
  for (let i = 0; i < o.quiet; i++) {
    quiet.push(await deployOnce(daemon, folders[i], versions[i]));
    o.log(`  deploy ${versions[i]} (no load): flipped ${quiet.at(-1).toFlippedMs} ms after the command (daemon ${quiet.at(-1).serverMs} ms)`);
  }
  const load = startCountingLoad({ url: `${daemon.proxyUrl}/`, clients: o.clients, maxMs: 120_000 });
  const deploys = [];
  let report;
  try {
    await sleep(500);
    for (let i = o.quiet; i < versions.length; i++) {
      const sentBefore = load.report().sent;
      const d = await deployOnce(daemon, folders[i], versions[i]);
      deploys.push({ ...d, requestsDuring: load.report().sent - sentBefore });
      o.log(`  deploy ${d.version}: flipped ${d.toFlippedMs} ms after the command (daemon ${d.serverMs} ms, switch ${d.switchMs} ms), drained+stopped ${d.withDrainMs} ms; ${deploys.at(-1).requestsDuring} requests meanwhile, ${load.report().failed} failed so far`);
    }
    await sleep(300);
  } finally {
    report = await load.stop();
  }
  return { clients: o.clients, quiet, deploys, load: report };
}
