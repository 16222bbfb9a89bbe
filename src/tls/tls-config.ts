// proxy.tls after the schema: file paths resolved against the config's folder, and the checks the schema cannot make.
import path from 'node:path';
import type { Config } from '../config/config-types.js';

export function tlsEnabled(config: Config): boolean {
  return config.proxy.tls.certFile !== '';
}

/** Resolves the certificate paths in place and pushes every problem found (key paths as in the file). */
export function checkTlsConfig(config: Config, baseDir: string, problems: string[]): void {
  const tls = config.proxy.tls;
  const resolve = (file: string) => (file === '' ? '' : path.resolve(baseDir, file));
  tls.certFile = resolve(tls.certFile);
  tls.keyFile = resolve(tls.keyFile);
  if ((tls.certFile === '') !== (tls.keyFile === '')) {
    problems.push(`"proxy.tls": expected both certFile and keyFile (PEM files), got only ${tls.certFile ? 'certFile' : 'keyFile'}; set the other one or remove both`);
  }
  tls.certificates.forEach((entry, i) => {
    entry.certFile = resolve(entry.certFile);
    entry.keyFile = resolve(entry.keyFile);
    const key = `"proxy.tls.certificates[${i}]"`;
    if (entry.hosts.length === 0) problems.push(`${key}: expected "hosts" with at least one name (e.g. ["api.example.com"]), got none`);
    if (entry.certFile === '' || entry.keyFile === '') problems.push(`${key}: expected both certFile and keyFile, got ${entry.certFile ? 'only certFile' : entry.keyFile ? 'only keyFile' : 'neither'}`);
  });
  const on = tlsEnabled(config);
  if (!on && tls.certificates.length > 0) problems.push('"proxy.tls.certificates": SNI certificates need a default certificate; set proxy.tls.certFile and keyFile too');
  if (!on && config.proxy.redirectHttp) problems.push('"proxy.redirectHttp": expected TLS to be on (proxy.tls.certFile), got redirectHttp without it: plain requests would be sent nowhere');
  if (on && tls.port !== 0 && tls.port === config.proxy.port) problems.push(`"proxy.tls.port": port ${tls.port} is also proxy.port; give HTTPS its own port`);
  if (on && tls.port !== 0 && tls.port === config.admin.port) problems.push(`"proxy.tls.port": port ${tls.port} is also admin.port; give HTTPS its own port`);
}
