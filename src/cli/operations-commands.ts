// slotswap rollback, drain and history: thin calls to the admin API, printed for people or as JSON.
import type { HistoryEntry } from '../state/state-types.js';
import type { RollbackResult } from '../ops/rollback.js';
import { AdminClient } from './admin-client.js';
import type { GlobalOptions } from './global-options.js';
import { formatMs, formatStep, printJson, table } from './output.js';

export async function rollbackCommand(options: GlobalOptions): Promise<number> {
  const client = await AdminClient.fromOptions(options);
  const answer = await client.json<RollbackResult>('POST', '/api/rollback');
  if (options.json) {
    printJson(answer);
    return 0;
  }
  for (const step of answer.steps) console.log(formatStep(step.ok, step.name, step.ms, step.detail));
  if (answer.mode === 'flip') console.log(`rolled back to ${answer.version}: slot ${answer.slot} is live again (instant flip, switch ${answer.switchMs?.toFixed(3)} ms)`);
  else if (answer.mode === 'redeploy') console.log(`rolled back to ${answer.version}: redeployed from its archive into slot ${answer.slot}, now live`);
  else if (answer.mode === 'in-place') console.log(`rolled back to ${answer.version}: replaced slot ${answer.slot} in place from its archive, under a hold`);
  else console.log(`rolled back to ${answer.version}: the previous executable is swapped back in`);
  return 0;
}

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
