// Chapter 6: what the load saw, how many flips, the longest hold; then everything is stopped and checked gone.
import { rm } from 'node:fs/promises';
import { slotswapJson } from './cli.mjs';
import { bold, chapter, count, elapsedMs, fail, green, ok, red, say } from './output.mjs';

/** Flips of the blue/green daemon, from `slotswap history --json`: every operation with a successful flip step. */
export async function flipsOf(daemon) {
  const { entries } = await slotswapJson(daemon.project, ['history', '--limit', '100']);
  return entries
    .filter((e) => e.steps.some((s) => s.name === 'flip' && s.ok))
    .sort((x, y) => x.startedAt.localeCompare(y.startedAt))
    .map((e) => `${e.actor === 'bootstrap' ? 'bootstrap' : e.op} ${e.toVersion} -> slot ${e.slot}`);
}

/** @param {import('./demo.mjs').Context} ctx */
export async function printSummary(ctx, flips) {
  chapter('6. summary');
  const sent = ctx.loads.reduce((n, l) => n + l.sent, 0);
  // A request still unanswered after the loads stopped counts as failed.
  const failed = ctx.loads.reduce((n, l) => n + l.failed + (l.sent - l.ok - l.failed), 0);
  const row = (label, value) => say(`${label.padEnd(16)}${value}`);
  row('requests sent', `${count(sent)} (${ctx.loads.map((l) => `${l.name} ${count(l.sent)}`).join(', ')}); ${ctx.clients} keep-alive clients per daemon`);
  row('failed', failed === 0 ? green('0') : red(String(failed)));
  for (const load of ctx.loads) {
    row(`  ${load.name}`, [...load.seen].map(([key, n]) => `${key} ${count(n)}`).join(', ') || '-');
    for (const error of load.errors) row('', red(error));
  }
  row('flips', flips ? `${flips.length} (${flips.join(', ')})` : 'unknown (history not available)');
  const longest = ctx.holds.reduce((a, b) => (b.ms > (a?.ms ?? -1) ? b : a), null);
  row('longest hold', longest ? `${longest.ms} ms (${longest.what}, ${longest.queued} request(s) queued and replayed)` : 'none');
  row('elapsed', `${(elapsedMs() / 1000).toFixed(1)} s`);
  return failed;
}

/** Stops the loads and the daemons (SIGTERM by PID, SIGKILL after a deadline), checks their instances are gone, removes the temp folder. */
export async function shutDown(ctx) {
  await Promise.all(ctx.loads.map((load) => load.stop(5_000)));
  const running = ctx.daemons.filter((d) => d.pid);
  if (running.length > 0) say(`stopping the daemons with SIGTERM: ${running.map((d) => `${d.project.name} pid ${d.pid}`).join(', ')}`);
  const results = await Promise.all(running.map((d) => d.stop()));
  let clean = true;
  for (const r of results) {
    const daemon = running.find((d) => d.project.name === r.name);
    const seen = daemon.instancePids.size;
    if (r.leftovers.length > 0) {
      clean = false;
      fail(`${r.name} daemon: instance pid(s) ${r.leftovers.join(', ')} were still running after it exited: killed`);
    } else ok(`${r.name} daemon exited (${r.exit}${r.killed ? ', after SIGKILL' : ''}); none of the ${seen} instance processes it ran is left`);
    if (r.killed || r.exit !== 0) clean = false;
  }
  if (ctx.root) {
    await rm(ctx.root, { recursive: true, force: true });
    say(`removed ${ctx.root}`);
  }
  return clean;
}

export function verdict(ctx, failed, clean) {
  const problems = [...ctx.failures];
  if (failed > 0) problems.push(`${failed} request(s) failed`);
  if (!clean) problems.push('the clean-up was not clean');
  console.log('');
  if (problems.length === 0) console.log(bold(green(`demo OK: 0 failed requests, nothing left running (${(elapsedMs() / 1000).toFixed(1)} s)`)));
  else console.log(bold(red(`demo FAILED: ${problems.join('; ')}`)));
  return problems.length === 0 ? 0 : 1;
}
