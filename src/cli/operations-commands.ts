// slotswap drain and history: thin calls to the admin API, printed for people or as JSON.
import type { HistoryEntry } from '../state/state-types.js';
import { AdminClient } from './admin-client.js';
import type { GlobalOptions } from './global-options.js';
import { formatMs, formatStep, printJson, table } from './output.js';

export interface DrainOptions extends GlobalOptions {
  slot: string | undefined;
  now: boolean;
}

interface DrainAnswer {
  slots: Record<string, { state: string; drain: { inFlight: number; idleMs: number; graceLeftMs: number; timeLeftMs: number } | null }>;
}

export async function drainCommand(options: DrainOptions): Promise<number> {
  const client = await AdminClient.fromOptions(options);
  const answer = await client.json<DrainAnswer>('POST', '/api/drain', { ...(options.slot ? { slot: options.slot } : {}), now: options.now });
  if (options.json) {
    printJson(answer);
    return 0;
  }
  const rows = [['slot', 'state', 'in-flight', 'idle', 'grace left', 'stops at the latest in']];
  for (const [slot, { state, drain }] of Object.entries(answer.slots)) {
    rows.push([slot, state, drain ? String(drain.inFlight) : '-', drain ? formatMs(drain.idleMs) : '-', drain ? formatMs(drain.graceLeftMs) : '-', drain ? formatMs(drain.timeLeftMs) : '-']);
  }
  console.log(table(rows));
  return 0;
}

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

export interface LogsOptions extends GlobalOptions {
  slot: string | undefined;
  lines: number;
  follow: boolean;
}

export async function logsCommand(options: LogsOptions): Promise<number> {
  const client = await AdminClient.fromOptions(options);
  const slot = options.slot ?? (await client.json<{ live: string | null }>('GET', '/api/status')).live ?? 'a';
  const res = await client.request('GET', `/api/logs/${encodeURIComponent(slot)}`, { query: { lines: String(options.lines), follow: options.follow ? '1' : undefined } });
  if (res.statusCode !== 200) throw await client.failure(res);
  for await (const chunk of res) process.stdout.write(chunk as Buffer);
  return 0;
}
