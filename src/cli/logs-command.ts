// slotswap logs [slot] [--lines n] [--follow]: the instances' stdout/stderr, each line prefixed [slot-instance].
import { AdminClient } from './admin-client.js';
import type { GlobalOptions } from './global-options.js';
import { verb } from './verb.js';

export interface LogsOptions extends GlobalOptions {
  slot: string | undefined;
  /** As typed: the daemon checks it and names what was typed. */
  lines: string;
  follow: boolean;
}

export async function logsCommand(options: LogsOptions): Promise<number> {
  const client = await AdminClient.fromOptions(options);
  // Without a slot: both, so that a deploy's new slot shows up in a follow that began before it.
  const res = await client.request('GET', `/api/logs/${encodeURIComponent(options.slot ?? 'all')}`, { query: { lines: options.lines, follow: options.follow ? '1' : undefined } });
  if (res.statusCode !== 200) throw await client.failure(res);
  for await (const chunk of res) process.stdout.write(chunk as Buffer);
  return 0;
}

export const logsVerb = verb({
  command: 'logs [slot]',
  describe: "the instances' stdout/stderr, each line prefixed [slot-instance]",
  builder: (y) =>
    y
      .positional('slot', { type: 'string', choices: ['a', 'b'], describe: 'only this slot (default: both slots)' })
      .option('lines', { type: 'string', default: '100', describe: 'how many of the last lines of each instance (0-10000)' })
      .option('follow', { type: 'boolean', default: false, alias: 'f', describe: 'keep printing new lines, of new instances too, until Ctrl-C' }),
  run: logsCommand,
});
