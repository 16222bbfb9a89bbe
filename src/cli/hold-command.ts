// slotswap hold / slotswap resume: put new requests on hold for maintenance, then replay them in order.
import type { HoldStats } from '../proxy/hold-queue.js';
import { AdminClient } from './admin-client.js';
import type { GlobalOptions } from './global-options.js';
import { printJson } from './output.js';

export async function holdCommand(options: GlobalOptions): Promise<number> {
  const client = await AdminClient.fromOptions(options);
  const answer = await client.json<{ hold: HoldStats }>('POST', '/api/hold');
  if (options.json) printJson(answer);
  else console.log(`hold on (${answer.hold.reasons.join(', ')}): new requests wait up to hold.timeoutMs; "slotswap resume" replays them`);
  return 0;
}

export async function resumeCommand(options: GlobalOptions): Promise<number> {
  const client = await AdminClient.fromOptions(options);
  const answer = await client.json<{ hold: HoldStats & { heldMs: number; waiting: number } }>('POST', '/api/resume');
  if (options.json) printJson(answer);
  else if (answer.hold.on) console.log(`operator hold released, but requests stay held for: ${answer.hold.reasons.join(', ')}`);
  else console.log(`resumed after ${answer.hold.heldMs} ms; ${answer.hold.waiting} waiting request(s) replayed in arrival order`);
  return 0;
}
