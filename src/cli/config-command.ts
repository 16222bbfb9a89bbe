// slotswap config check: validate the config and print it with every path resolved.
import { loadConfig } from '../config/load-config.js';
import type { GlobalOptions } from './global-options.js';
import { printJson } from './output.js';
import { verb } from './verb.js';

export async function configCheckCommand(options: GlobalOptions): Promise<number> {
  const config = await loadConfig(options.config);
  if (options.json) printJson({ ok: true, config });
  else {
    console.log(JSON.stringify(config, null, 2));
    console.log(`config OK: ${config.file}`);
  }
  return 0;
}

export const configVerb = verb({
  command: 'config <action>',
  describe: 'validate the config',
  builder: (y) => y.positional('action', { choices: ['check'] as const, demandOption: true, describe: 'check: validate and print the config with every path resolved' }),
  run: configCheckCommand,
});
