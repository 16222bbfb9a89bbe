// slotswap notice set <text> [--mandatory] / notice clear: the upgrade notice in the manifest.
import { AdminClient } from './admin-client.js';
import type { GlobalOptions } from './global-options.js';
import { SlotswapError } from '../errors.js';
import { printJson } from './output.js';
import { verb } from './verb.js';

export interface NoticeOptions extends GlobalOptions {
  action: 'set' | 'clear';
  text: string | undefined;
  mandatory: boolean;
}

export async function noticeCommand(options: NoticeOptions): Promise<number> {
  const client = await AdminClient.fromOptions(options);
  const answer =
    options.action === 'set'
      ? await client.json<{ changed: boolean }>('PUT', '/api/notice', { message: options.text ?? '', mandatory: options.mandatory })
      : await client.json<{ changed: boolean }>('DELETE', '/api/notice');
  if (options.json) printJson(answer);
  else if (options.action === 'set') console.log(answer.changed ? `notice set${options.mandatory ? ' (mandatory)' : ''}: ${options.text}` : 'notice unchanged');
  else console.log(answer.changed ? 'notice cleared' : 'no notice was set');
  return 0;
}

export const noticeVerb = verb({
  command: 'notice <action> [text]',
  describe: 'set or clear the upgrade notice shown in the manifest',
  builder: (y) =>
    y
      .positional('action', { choices: ['set', 'clear'] as const, demandOption: true, describe: 'set a notice, or clear it' })
      .positional('text', { type: 'string', describe: 'the notice text (for set; quote it)' })
      .option('mandatory', { type: 'boolean', default: false, describe: 'clients must upgrade' })
      .check((argv) => {
        if (argv.action === 'set' && !argv.text) throw new SlotswapError('bad_request', 'notice set needs the text: slotswap notice set "Version 2 is out" [--mandatory]');
        return true;
      }),
  run: noticeCommand,
});
