// slotswap tls reload | renew: re-read the certificate files, or order a new ACME certificate now; new connections get
// the new certificate, open ones go on.
import { AdminClient } from './admin-client.js';
import type { GlobalOptions } from './global-options.js';
import { printJson } from './output.js';
import { verb } from './verb.js';

interface Loaded {
  file: string;
  hosts: string[];
  names: string[];
  serialNumber: string;
  fingerprint256: string;
  validTo: string;
}

interface TlsOptions extends GlobalOptions {
  action: 'reload' | 'renew';
}

export async function tlsCommand(options: TlsOptions): Promise<number> {
  const client = await AdminClient.fromOptions(options);
  const answer = await client.json<{ certificates: Loaded[] }>('POST', `/api/tls/${options.action}`);
  const done = options.action === 'renew' ? 'renewed' : 'reloaded';
  if (options.json) printJson(answer);
  else for (const c of answer.certificates) console.log(`${done} ${c.file} (${c.hosts.length > 0 ? c.hosts.join(', ') : c.names.join(', ') || 'default'}): sha256 ${c.fingerprint256}, serial ${c.serialNumber}, valid to ${c.validTo}`);
  return 0;
}

export const tlsVerb = verb({
  command: 'tls <action>',
  describe: 'tls reload: re-read the TLS certificate files; tls renew: order a new ACME certificate now (neither drops a connection)',
  builder: (y) => y.positional('action', { choices: ['reload', 'renew'] as const, describe: 'reload: re-read proxy.tls certFile/keyFile and the SNI certificates; renew: a new certificate from proxy.tls.acme now' }),
  run: tlsCommand,
});
