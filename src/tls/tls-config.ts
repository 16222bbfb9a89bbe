// proxy.tls after the schema: file paths resolved against the config's folder, and the checks the schema cannot make.
import path from 'node:path';
import type { Config } from '../config/config-types.js';

export function acmeEnabled(config: Config): boolean {
  return config.proxy.tls.acme.directoryUrl !== '';
}

/** On with certificate files (certFile) or with ACME (acme.directoryUrl). */
export function tlsEnabled(config: Config): boolean {
  return config.proxy.tls.certFile !== '' || acmeEnabled(config);
}

export function adminTlsEnabled(config: Config): boolean {
  return config.admin.tls.certFile !== '';
}

const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

function checkAcme(config: Config, resolve: (file: string) => string, problems: string[]): void {
  const acme = config.proxy.tls.acme;
  acme.caBundle = resolve(acme.caBundle);
  if (!acmeEnabled(config)) {
    if (acme.domains.length > 0) problems.push('"proxy.tls.acme.domains": expected proxy.tls.acme.directoryUrl too (e.g. https://acme-v02.api.letsencrypt.org/directory), got domains without it');
    return;
  }
  if (acme.domains.length === 0) problems.push('"proxy.tls.acme.domains": expected at least one domain name that resolves to this machine (e.g. ["app.example.com"]), got none');
  acme.domains.forEach((domain, i) => {
    if (!DOMAIN.test(domain)) problems.push(`"proxy.tls.acme.domains[${i}]": expected a DNS name like app.example.com (HTTP-01 cannot validate IPs or wildcards), got ${JSON.stringify(domain)}`);
  });
  if (config.proxy.tls.certFile !== '') problems.push('"proxy.tls.acme": expected either certFile/keyFile or acme, got both; the ACME certificate is the default one (put other names in proxy.tls.certificates)');
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
  checkAcme(config, resolve, problems);
  const admin = config.admin.tls;
  admin.certFile = resolve(admin.certFile);
  admin.keyFile = resolve(admin.keyFile);
  if ((admin.certFile === '') !== (admin.keyFile === '')) problems.push(`"admin.tls": expected both certFile and keyFile (PEM files), got only ${admin.certFile ? 'certFile' : 'keyFile'}; set the other one or remove both`);
  const on = tlsEnabled(config);
  if (!on && tls.certificates.length > 0) problems.push('"proxy.tls.certificates": SNI certificates need a default certificate; set proxy.tls.certFile and keyFile too');
  if (!on && config.proxy.redirectHttp) problems.push('"proxy.redirectHttp": expected TLS to be on (proxy.tls.certFile or proxy.tls.acme), got redirectHttp without it: plain requests would be sent nowhere');
  if (on && tls.port !== 0 && tls.port === config.proxy.port) problems.push(`"proxy.tls.port": port ${tls.port} is also proxy.port; give HTTPS its own port`);
  if (on && tls.port !== 0 && tls.port === config.admin.port) problems.push(`"proxy.tls.port": port ${tls.port} is also admin.port; give HTTPS its own port`);
}
