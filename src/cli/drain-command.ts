// slotswap drain [--slot s] [--now]: drain progress of the slots, or stop a draining slot once its requests finish.
import { AdminClient } from './admin-client.js';
import type { GlobalOptions } from './global-options.js';
import { formatMs, printJson, table } from './output.js';
import { verb } from './verb.js';

export interface DrainOptions extends GlobalOptions {
  slot: string | undefined;
  now: boolean;
}

interface DrainAnswer {
  slots: Record<string, { state: string; drain: { inFlight: number; idleMs: number; graceLeftMs: number; earliestStopInMs: number; timeLeftMs: number } | null }>;
}

export async function drainCommand(options: DrainOptions): Promise<number> {
  const client = await AdminClient.fromOptions(options);
  const answer = await client.json<DrainAnswer>('POST', '/api/drain', { ...(options.slot ? { slot: options.slot } : {}), now: options.now });
  if (options.json) {
    printJson(answer);
    return 0;
  }
  const rows = [['slot', 'state', 'in-flight', 'idle', 'grace left', 'stops when idle in', 'stops at the latest in']];
  for (const [slot, { state, drain }] of Object.entries(answer.slots)) {
    const cells = drain ? [String(drain.inFlight), formatMs(drain.idleMs), formatMs(drain.graceLeftMs), `≥ ${formatMs(drain.earliestStopInMs)}`, formatMs(drain.timeLeftMs)] : ['-', '-', '-', '-', '-'];
    rows.push([slot, state, ...cells]);
  }
  console.log(table(rows));
  return 0;
}

export const drainVerb = verb({
  command: 'drain',
  describe: 'show drain progress; --now stops the draining slot once its in-flight requests finish',
  builder: (y) =>
    y
      .option('slot', { type: 'string', choices: ['a', 'b'], describe: 'only this slot (default: both, and with --now every draining slot)' })
      .option('now', { type: 'boolean', default: false, describe: 'end the drain: let in-flight requests finish, then stop the slot' }),
  run: drainCommand,
});
