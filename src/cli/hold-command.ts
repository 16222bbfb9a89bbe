// slotswap hold: put new requests on hold for maintenance ("slotswap resume" replays them in order).
import type { HoldStats } from '../proxy/hold-queue.js';
import { AdminClient } from './admin-client.js';
import type { GlobalOptions } from './global-options.js';
import { printJson } from './output.js';
import { verb } from './verb.js';

export async function holdCommand(options: GlobalOptions): Promise<number> {
  const client = await AdminClient.fromOptions(options);
  const answer = await client.json<{ hold: HoldStats }>('POST', '/api/hold');
  if (options.json) printJson(answer);
  else console.log(`hold on (${answer.hold.reasons.join(', ')}): new requests wait up to hold.timeoutMs; "slotswap resume" replays them`);
  return 0;
}

export const holdVerb = verb({ command: 'hold', describe: 'put new requests on hold (they wait; in-flight ones finish)', run: holdCommand });
