// slotswap tls reload: the daemon re-reads its certificate files; new connections get the new ones, open ones go on.
import { AdminClient } from './admin-client.js';
import type { GlobalOptions } from './global-options.js';
import { printJson } from './output.js';
import { verb } from './verb.js';

interface Loaded {
  file: string;
  hosts: string[];
  fingerprint256: string;
  validTo: string;
}

export async function tlsReloadCommand(options: GlobalOptions): Promise<number> {
  const client = await AdminClient.fromOptions(options);
  const answer = await client.json<{ certificates: Loaded[] }>('POST', '/api/tls/reload');
  if (options.json) printJson(answer);
  else for (const c of answer.certificates) console.log(`reloaded ${c.file} (${c.hosts.length > 0 ? c.hosts.join(', ') : 'default'}): sha256 ${c.fingerprint256}, valid to ${c.validTo}`);
  return 0;
}

export const tlsVerb = verb({
  command: 'tls <action>',
  describe: 'tls reload: re-read the TLS certificate files without dropping a connection',
  builder: (y) => y.positional('action', { choices: ['reload'] as const, describe: 'reload: re-read proxy.tls certFile/keyFile and the SNI certificates' }),
  run: tlsReloadCommand,
});
