// slotswap canary set <percent> / canary status: a running canary's weight, and its figures.
import { AdminClient } from './admin-client.js';
import type { GlobalOptions } from './global-options.js';
import { SlotswapError } from '../errors.js';
import { printJson } from './output.js';
import { verb } from './verb.js';
import type { Status } from '../ops/status.js';
import { formatCanary } from './canary-format.js';

export interface CanaryOptions extends GlobalOptions {
  action: 'set' | 'status';
  /** As typed: a whole number is sent as one, anything else as typed, for the daemon to name. */
  percent: string | undefined;
}

export async function canaryCommand(options: CanaryOptions): Promise<number> {
  const client = await AdminClient.fromOptions(options);
  if (options.action === 'status') {
    const answer = await client.json<Pick<Status, 'canary' | 'watch'>>('GET', '/api/canary');
    if (options.json) printJson(answer);
    else console.log(formatCanary(answer.canary, answer.watch) ?? 'no canary runs');
    return 0;
  }
  const answer = await client.json<{ canary: { slot: string; weight: number } | null }>('POST', '/api/canary', { weight: options.percent !== undefined && /^\d+$/.test(options.percent) ? Number(options.percent) : options.percent });
  if (options.json) printJson(answer);
  else console.log(`canary: slot ${answer.canary?.slot ?? '-'} takes ${answer.canary?.weight ?? options.percent} % of new clients (automatic steps, if any, stopped)`);
  return 0;
}

export const canaryVerb = verb({
  command: 'canary <action> [percent]',
  describe: "change a running canary's weight (set <percent>), or show it and its analysis figures (status)",
  builder: (y) =>
    y
      .positional('action', { choices: ['set', 'status'] as const, demandOption: true, describe: 'set the weight, or show the canary' })
      .positional('percent', { type: 'string', describe: 'the new weight, 0-100 (for set)' })
      .check((argv) => {
        if (argv.action === 'set' && argv.percent === undefined) throw new SlotswapError('bad_request', 'canary set needs the weight: slotswap canary set 25');
        return true;
      }),
  run: canaryCommand,
});
