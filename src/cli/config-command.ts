// slotswap config check: validate the config and print it with every path resolved.
import { loadConfig } from '../config/load-config.js';
import type { GlobalOptions } from './global-options.js';
import { printJson } from './output.js';

export async function configCheckCommand(options: GlobalOptions): Promise<number> {
  const config = await loadConfig(options.config);
  if (options.json) printJson({ ok: true, config });
  else {
    console.log(JSON.stringify(config, null, 2));
    console.log(`config OK: ${config.file}`);
  }
  return 0;
}
