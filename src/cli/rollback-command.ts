// slotswap rollback [--to <version>]: back to the last release that was live before this one, or to a kept archive.
import type { RollbackResult } from '../ops/rollback.js';
import { AdminClient } from './admin-client.js';
import type { GlobalOptions } from './global-options.js';
import { formatStep, printJson } from './output.js';
import { verb } from './verb.js';

export interface RollbackOptions extends GlobalOptions {
  to: string | undefined;
}

export async function rollbackCommand(options: RollbackOptions): Promise<number> {
  const client = await AdminClient.fromOptions(options);
  const answer = await client.json<RollbackResult>('POST', '/api/rollback', options.to ? { to: options.to } : undefined);
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

export const rollbackVerb = verb({
  command: 'rollback',
  describe: 'return to the release that was live before this one (instant flip while it still runs, else a redeploy of its archive)',
  builder: (y) => y.option('to', { type: 'string', describe: 'a version with a kept archive to return to (default: the previous live release)' }),
  run: rollbackCommand,
});
