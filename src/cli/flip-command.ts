// slotswap flip: make the other slot live, if it still runs and is healthy.
import { AdminClient } from './admin-client.js';
import type { GlobalOptions } from './global-options.js';
import { printJson } from './output.js';
import { verb } from './verb.js';

interface FlipAnswer {
  from: string | null;
  to: string;
  switchMs: number;
}

export async function flipCommand(options: GlobalOptions): Promise<number> {
  const client = await AdminClient.fromOptions(options);
  const answer = await client.json<FlipAnswer>('POST', '/api/flip');
  if (options.json) printJson(answer);
  else console.log(`flipped: slot ${answer.to} is live (switch ${answer.switchMs.toFixed(3)} ms); slot ${answer.from ?? '-'} drains`);
  return 0;
}

export const flipVerb = verb({ command: 'flip', describe: 'make the other slot live, if it is running and healthy', run: flipCommand });
