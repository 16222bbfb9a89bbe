// `npm run bench`: DESIGN Part 3's figures in one bounded run. Starts real daemons and the sample API on free loopback ports,
// measures direct vs nginx vs slotswap, flips, deploys and hotswaps under load, prints a table and writes bench-results.json.
// Options (flags or env): --only=proxy,bodies,connections,flips,deploys,hotswap,flood,fleet  BENCH_FLEET_DEPLOYS (20)  BENCH_ROUNDS (3)  BENCH_SECONDS (2)  BENCH_FLIPS (500)  BENCH_NGINX (/usr/sbin/nginx)
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DAEMON_NODE_FLAGS, ROOT, HOTSWAP_SERVER, startDaemon } from './lib/daemon.mjs';
import { freePortRange } from './lib/ports.mjs';
import { killAllStarted, rssMb, sleep } from './lib/processes.mjs';
import { formatReport, evaluateBars } from './lib/report.mjs';
import { proxyCost } from './scenarios/proxy-cost.mjs';
import { flipsAndMemory } from './scenarios/flips.mjs';
import { deploysUnderLoad } from './scenarios/deploys.mjs';
import { hotswapUnderLoad } from './scenarios/hotswap.mjs';
import { adminFlood } from './scenarios/flood.mjs';
import { bodies } from './scenarios/bodies.mjs';
import { connections } from './scenarios/connections.mjs';
import { fleetPropagation } from './scenarios/fleet.mjs';

const WATCHDOG_MS = 12 * 60_000;
const arg = (name) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const only = new Set((arg('only') ?? 'proxy,bodies,connections,flips,deploys,hotswap,flood,fleet').split(','));
const settings = {
  rounds: Number(process.env.BENCH_ROUNDS ?? 3),
  durationS: Number(process.env.BENCH_SECONDS ?? 2),
  warmupS: 1,
  clientCounts: [10, 100],
  flipWarmup: 50,
  flips: Number(process.env.BENCH_FLIPS ?? 500),
  quietDeploys: 2,
  deploys: 10,
  loadClients: 50,
  flipClients: 4,
  hotswapStartupsMs: [0, 100, 200, 300, 500],
  floodSeconds: Number(process.env.BENCH_FLOOD_SECONDS ?? 4),
  floodClients: 10,
  floodConcurrency: 8,
  bodyClients: 10,
  bodyRounds: 2,
  bodySeconds: 2,
  connectionRounds: 3,
  connectionSeconds: Number(process.env.BENCH_CONNECTION_SECONDS ?? 2.5),
  fleetDeploys: Number(process.env.BENCH_FLEET_DEPLOYS ?? 20),
  fleetClients: 30,
  daemonNodeFlags: DAEMON_NODE_FLAGS,
};
const log = (s) => process.stderr.write(`${s}\n`);

function machine() {
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown CPU',
    cores: os.cpus().length,
    memGb: Math.round(os.totalmem() / 2 ** 30),
    kernel: os.release(),
    node: process.version,
    loadAverage: os.loadavg().map((x) => Number(x.toFixed(2))),
  };
}

/** Runs fn with a daemon that is always stopped (by its PID) afterwards. */
async function withDaemon(options, fn) {
  const daemon = await startDaemon(options);
  try {
    return await fn(daemon);
  } finally {
    await daemon.stop();
  }
}

async function main() {
  const started = performance.now();
  const results = { startedAt: new Date().toISOString(), machine: machine(), settings, resultsFile: path.join(ROOT, 'bench-results.json') };
  log(`slotswap bench: ${results.machine.cores} cores, load average ${results.machine.loadAverage.join(' ')}`);

  if (only.has('proxy')) {
    await withDaemon({ name: 'proxy' }, async (daemon) => {
      await sleep(1000);
      results.memory = { idleMb: Number(rssMb(daemon.pid).toFixed(1)) };
      log(`proxy cost: ${settings.rounds} rounds x ${settings.durationS} s per target and client count`);
      results.proxyCost = { rounds: settings.rounds, durationS: settings.durationS, ...(await proxyCost({ daemon, ...settings, log })) };
      results.memory.rssUnderLoadMb = Math.max(...Object.values(results.proxyCost.summary).map((row) => row.slotswap.rssMaxMb ?? 0));
    });
  }
  if (only.has('bodies')) {
    log(`bodies: POSTs of 1 KiB, 64 KiB and 1 MiB under ${settings.bodyClients} clients, ${settings.bodyRounds} rounds x ${settings.bodySeconds} s`);
    results.bodies = await withDaemon({ name: 'bodies' }, (daemon) => bodies({ daemon, clients: settings.bodyClients, rounds: settings.bodyRounds, durationS: settings.bodySeconds, log }));
  }
  if (only.has('connections')) {
    log(`connections: 10, 100, 1,000 and 3,000 keep-alive clients, ${settings.connectionRounds} rounds x ${settings.connectionSeconds} s`);
    results.connections = await withDaemon({ name: 'connections', countAccepts: true }, (daemon) => connections({ daemon, rounds: settings.connectionRounds, durationS: settings.connectionSeconds, log }));
  }
  if (only.has('flips')) {
    // The old slot drains for an hour, so both slots keep running and every flip is instant. The inspector (loopback,
    // free port) lets the bench force a full GC before reading RSS; nothing else of the daemon changes.
    const inspectPort = await freePortRange(1);
    const config = { drain: { graceMs: 3_600_000, timeoutMs: 3_600_000 } };
    log(`flips: ${settings.flipWarmup} to warm up, then ${settings.flips}, under ${settings.flipClients} clients`);
    results.flips = await withDaemon({ name: 'flips', config, nodeArgs: [`--inspect=127.0.0.1:${inspectPort}`] }, (daemon) =>
      flipsAndMemory({ daemon, inspectPort, warmup: settings.flipWarmup, flips: settings.flips, clients: settings.flipClients, log }),
    );
  }
  if (only.has('deploys')) {
    log(`deploys: ${settings.deploys} under ${settings.loadClients} clients, each flipping, draining and stopping the old slot`);
    const drain = { graceMs: 300, idleMs: 100, timeoutMs: 30_000, stopTimeoutMs: 5_000 };
    results.deploys = await withDaemon({ name: 'deploys', config: { drain } }, (daemon) => deploysUnderLoad({ daemon, quiet: settings.quietDeploys, deploys: settings.deploys, clients: settings.loadClients, log }));
  }
  if (only.has('hotswap')) {
    log(`hotswap: builds with start-up delays ${settings.hotswapStartupsMs.join(', ')} ms under ${settings.loadClients} clients`);
    const config = { app: 'hotswap-server', mode: 'hotswap', hotswap: { exeFile: 'deploy/server', updateFile: 'deploy/server_update' } };
    results.hotswap = await withDaemon({ name: 'hotswap', config, hotswapExe: HOTSWAP_SERVER }, (daemon) =>
      hotswapUnderLoad({ daemon, startupsMs: settings.hotswapStartupsMs, clients: settings.loadClients, log }),
    );
  }
  if (only.has('flood')) {
    log(`admin flood: proxy latency under ${settings.floodClients} clients for ${settings.floodSeconds} s alone, then ${settings.floodSeconds} s while ${settings.floodConcurrency} clients send anonymous POSTs with 15 KB paths`);
    results.flood = await withDaemon({ name: 'flood' }, (daemon) =>
      adminFlood({ daemon, clients: settings.floodClients, floodConcurrency: settings.floodConcurrency, seconds: settings.floodSeconds, log }),
    );
  }

  if (only.has('fleet')) {
    log(`fleet: 3 etcd members, 3 nodes, ${settings.fleetClients} keep-alive clients on each proxy, ${settings.fleetDeploys} deploys through node1`);
    results.fleet = await fleetPropagation({ deploys: settings.fleetDeploys, clients: settings.fleetClients, log });
    if (results.fleet.skipped) log(`  skipped: ${results.fleet.skipped}`);
  }

  results.bars = evaluateBars(results);
  results.wallSeconds = (performance.now() - started) / 1000;
  await writeFile(results.resultsFile, `${JSON.stringify(results, null, 2)}\n`);
  console.log(formatReport(results));
}

const watchdog = setTimeout(() => {
  log(`bench: still running after ${WATCHDOG_MS / 1000} s; stopping everything it started`);
  killAllStarted();
  process.exit(1);
}, WATCHDOG_MS);
watchdog.unref();
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    killAllStarted();
    process.exit(130);
  });
}
main().then(
  () => process.exit(0),
  (err) => {
    console.error(`bench failed: ${err.stack ?? err}`);
    killAllStarted();
    process.exit(1);
  },
);
