// `npm run demo`: the whole slotswap story in one process tree, on free loopback ports in a temp folder.
// Blue/green deploys and a rollback under steady load, an old client told to upgrade, an in-place hotswap, a summary;
// everything it starts is stopped by PID at the end, on failure, on Ctrl-C, and when it runs over its time limit.
import { access, mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { cleanUp, installAbortHandlers, isAborting, onCleanup } from './cleanup.mjs';
import { bold, fail, quote } from './output.mjs';
import { CLI } from './projects.mjs';
import { blueGreenStory } from './story-bluegreen.mjs';
import { hotswapStory } from './story-hotswap.mjs';
import { flipsOf, printSummary, shutDown, verdict } from './summary.mjs';

/**
 * @typedef {{ root: string | null, clients: number, thinkMs: number, daemons: import('./daemon-process.mjs').Daemon[], loads: import('./load.mjs').Load[],
 *   failures: string[], holds: { what: string, ms: number, queued: number }[] }} Context
 */

// The story takes under a minute; past LIMIT_MS it stops and cleans up, and the process ends by HARD_LIMIT_MS whatever happens
// (with the build before it, `npm run demo` stays under 3 minutes even on failure).
const LIMIT_MS = 120_000;
const HARD_LIMIT_MS = 150_000;

async function main() {
  installAbortHandlers({ limitMs: LIMIT_MS, hardLimitMs: HARD_LIMIT_MS });
  await access(CLI).catch(() => {
    throw new Error(`${CLI} is missing: build first (npm run build), or run npm run demo`);
  });
  /** @type {Context} */
  const ctx = { root: null, clients: 10, thinkMs: 10, daemons: [], loads: [], failures: [], holds: [] };
  let clean = false;
  onCleanup('stop everything', async () => void (clean = await shutDown(ctx)));
  console.log(bold('slotswap demo: blue/green deploys, an old client, a rollback and a hotswap, all under steady load'));
  ctx.root = await mkdtemp(path.join(os.tmpdir(), 'slotswap-demo-'));
  try {
    await blueGreenStory(ctx);
    await hotswapStory(ctx);
  } catch (err) {
    if (isAborting()) return new Promise(() => {}); // the abort handler cleans up and exits
    fail(err.message);
    ctx.failures.push(err.message);
    for (const daemon of ctx.daemons) {
      quote(`last lines of the ${daemon.project.name} daemon:`);
      for (const line of daemon.lines.slice(-15)) quote(`  ${line}`);
    }
  }
  await Promise.all(ctx.loads.map((load) => load.stop(5_000)));
  const blueGreen = ctx.daemons[0];
  const flips = blueGreen?.token ? await flipsOf(blueGreen).catch(() => null) : null;
  const failed = await printSummary(ctx, flips);
  await cleanUp();
  return verdict(ctx, failed, clean);
}

main().then(
  (code) => process.exit(code),
  async (err) => {
    fail(err.stack ?? String(err));
    await cleanUp();
    process.exit(1);
  },
);
