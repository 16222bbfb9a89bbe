// slotswap promote / slotswap abort: end a running canary, one way or the other.
import { AdminClient } from './admin-client.js';
import type { GlobalOptions } from './global-options.js';
import { printJson } from './output.js';
import { verb } from './verb.js';

export async function promoteCommand(options: GlobalOptions): Promise<number> {
  const client = await AdminClient.fromOptions(options);
  const answer = await client.json<{ slot: string; version: string; from: string; switchMs: number; watchMs: number | null }>('POST', '/api/promote');
  if (options.json) printJson(answer);
  else {
    const after = answer.watchMs !== null ? `slot ${answer.from} kept running ${answer.watchMs} ms (watch), then drains` : `slot ${answer.from} drains`;
    console.log(`promoted: slot ${answer.slot} (${answer.version}) is live (switch ${answer.switchMs.toFixed(3)} ms); ${after}`);
  }
  return 0;
}

export async function abortCommand(options: GlobalOptions): Promise<number> {
  const client = await AdminClient.fromOptions(options);
  const answer = await client.json<{ slot: string; version: string; backTo: string }>('POST', '/api/abort');
  if (options.json) printJson(answer);
  else console.log(`aborted: all traffic back on slot ${answer.backTo}; slot ${answer.slot} (${answer.version}) drains and stops`);
  return 0;
}

export const promoteVerb = verb({ command: 'promote', describe: 'make the canary slot live (flip), then drain the old slot', run: promoteCommand });
export const abortVerb = verb({ command: 'abort', describe: 'end the canary: all traffic back to the live slot, the canary slot drains and stops', run: abortCommand });
