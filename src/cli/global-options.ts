// Options every command takes: where the config is, how to reach the daemon, and the output format.
import type { Argv } from 'yargs';
import { DEFAULT_CONFIG_FILE } from '../defaults.js';

export interface GlobalOptions {
  config: string;
  adminUrl: string | undefined;
  token: string | undefined;
  json: boolean;
  /** A CA file (PEM) trusted for an HTTPS admin API (admin.tls with a private CA). */
  cacert: string | undefined;
}

export function withGlobalOptions<T>(argv: Argv<T>) {
  return argv
    .option('config', { type: 'string', default: process.env.SLOTSWAP_CONFIG ?? DEFAULT_CONFIG_FILE, describe: 'config file (env SLOTSWAP_CONFIG)' })
    .option('admin-url', { type: 'string', describe: 'admin API URL (env SLOTSWAP_ADMIN_URL; default from the config)' })
    .option('token', { type: 'string', describe: 'admin token (env SLOTSWAP_TOKEN; default: the config\'s token file)' })
    .option('cacert', { type: 'string', default: process.env.SLOTSWAP_CACERT, describe: 'CA file (PEM) to trust for an https:// admin URL (env SLOTSWAP_CACERT)' })
    .option('json', { type: 'boolean', default: false, describe: 'print one JSON document instead of text' });
}
