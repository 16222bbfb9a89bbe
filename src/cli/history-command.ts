// slotswap history [--limit n]: past operations, newest first, with each step's time.
import type { HistoryEntry } from '../state/state-types.js';
import { AdminClient } from './admin-client.js';
import type { GlobalOptions } from './global-options.js';
import { formatMs, printJson, table } from './output.js';
import { verb } from './verb.js';

export interface HistoryOptions extends GlobalOptions {
  limit: number;
}

export async function historyCommand(options: HistoryOptions): Promise<number> {
  const client = await AdminClient.fromOptions(options);
  const answer = await client.json<{ entries: HistoryEntry[] }>('GET', `/api/history?limit=${options.limit}`);
  if (options.json) {
    printJson(answer);
    return 0;
  }
  const rows = [['started', 'op', 'slot', 'versions', 'outcome', 'actor', 'steps']];
  for (const e of answer.entries) {
    const steps = e.steps.map((s) => `${s.name} ${formatMs(s.ms)}${s.ok ? '' : ' FAILED'}`).join(', ');
    rows.push([e.startedAt, e.op, e.slot ?? '-', `${e.fromVersion ?? '-'} -> ${e.toVersion ?? '-'}`, e.outcome, e.actor, steps]);
  }
  console.log(table(rows));
  for (const e of answer.entries.filter((x) => x.error)) console.log(`\n${e.startedAt} ${e.op} failed: ${e.error}`);
  return 0;
}

export const historyVerb = verb({
  command: 'history',
  describe: 'past deploys, flips, rollbacks, holds and hotswaps with step timings',
  builder: (y) => y.option('limit', { type: 'number', default: 20, describe: 'how many entries, newest first (1-10000; with --json also the audit list)' }),
  run: historyCommand,
});
