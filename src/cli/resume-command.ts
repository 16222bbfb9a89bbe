// slotswap resume: take requests off the operator's hold and replay the waiting ones in arrival order.
import type { HoldStats } from '../proxy/hold-queue.js';
import { AdminClient } from './admin-client.js';
import type { GlobalOptions } from './global-options.js';
import { printJson } from './output.js';
import { verb } from './verb.js';

export async function resumeCommand(options: GlobalOptions): Promise<number> {
  const client = await AdminClient.fromOptions(options);
  const answer = await client.json<{ hold: HoldStats & { heldMs: number; waiting: number; wasHeld?: boolean } }>('POST', '/api/resume');
  if (options.json) printJson(answer);
  // An idempotent call: resuming with no hold on says so instead of "resumed after 0 ms".
  else if (answer.hold.wasHeld === false && !answer.hold.on) console.log('no operator hold was on (slotswap hold); nothing to resume');
  else if (answer.hold.on) console.log(`operator hold released, but requests stay held for: ${answer.hold.reasons.join(', ')}`);
  else console.log(`resumed after ${answer.hold.heldMs} ms; ${answer.hold.waiting} waiting request(s) replayed in arrival order`);
  return 0;
}

export const resumeVerb = verb({ command: 'resume', describe: 'take requests off hold and replay the waiting ones in arrival order', run: resumeCommand });
