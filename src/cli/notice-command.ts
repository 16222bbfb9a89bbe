// slotswap notice set <text> [--mandatory] / notice clear: the upgrade notice in the manifest.
import { AdminClient } from './admin-client.js';
import type { GlobalOptions } from './global-options.js';
import { printJson } from './output.js';

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
