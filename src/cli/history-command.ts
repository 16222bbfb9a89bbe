// slotswap history [--limit n] [--local]: past operations, newest first, with each step's time; on a fleet node the
// fleet's history from etcd (--local: the node's own).
import { EXIT_UNREACHABLE } from '../errors.js';
import type { HistoryEntry } from '../state/state-types.js';
import { AdminClient } from './admin-client.js';
import type { GlobalOptions } from './global-options.js';
import { formatMs, printJson, table } from './output.js';
import { verb } from './verb.js';

export interface HistoryOptions extends GlobalOptions {
  /** As typed: the daemon checks it and names what was typed. */
  limit: string;
  local?: boolean;
}

export async function historyCommand(options: HistoryOptions): Promise<number> {
  const client = await AdminClient.fromOptions(options);
  const answer = await client.json<{ entries: (HistoryEntry & { coordinator?: string })[]; scope?: string; etcd?: string; message?: string }>('GET', `/api/history?limit=${encodeURIComponent(options.limit)}${options.local ? '&local=true' : ''}`);
  // etcd away: the node's own history is shown, and the exit code says the fleet's could not be read.
  const exitCode = answer.etcd === 'unreachable' ? EXIT_UNREACHABLE : 0;
  if (answer.message) console.error(`slotswap: ${answer.message}`);
  if (options.json) {
    printJson(answer);
    return exitCode;
  }
  const fleet = answer.scope === 'fleet';
  const rows = [['started', 'op', 'slot', 'versions', 'outcome', fleet ? 'coordinator' : 'actor', 'steps']];
  for (const e of answer.entries) {
    const steps = e.steps.map((s) => `${s.name} ${formatMs(s.ms)}${s.ok ? '' : ' FAILED'}`).join(', ');
    rows.push([e.startedAt, e.op, e.slot ?? '-', `${e.fromVersion ?? '-'} -> ${e.toVersion ?? '-'}`, e.outcome, fleet ? `${e.coordinator ?? '-'} (${e.actor})` : e.actor, steps]);
  }
  if (fleet) console.log("the fleet's history (etcd); this node's own: slotswap history --local");
  console.log(table(rows));
  for (const e of answer.entries.filter((x) => x.error)) console.log(`\n${e.startedAt} ${e.op} failed: ${e.error}`);
  return exitCode;
}

export const historyVerb = verb({
  command: 'history',
  describe: 'past deploys, flips, rollbacks, holds and hotswaps with step timings',
  builder: (y) =>
    y
      .option('limit', { type: 'string', default: '20', describe: "how many entries, newest first (1-10000; the fleet's: 1-100; with --json also the audit list)" })
      .option('local', { type: 'boolean', default: false, describe: "on a fleet node: this node's own history instead of the fleet's" }),
  run: historyCommand,
});
