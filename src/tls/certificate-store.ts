// The certificates the HTTPS listener serves: read and checked as a whole, swapped in only when every file is good.
import { readFile } from 'node:fs/promises';
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import tls from 'node:tls';
import { SlotswapError } from '../errors.js';
import type { TlsConfig } from '../config/config-types.js';

export const MIN_TLS_VERSION = 'TLSv1.2' as const;

export interface LoadedCertificate {
  hosts: string[];
  certFile: string;
  keyFile: string;
  fingerprint256: string;
  serialNumber: string;
  /** The DNS names and IPs in the certificate's subjectAltName (what the metric labels by). */
  names: string[];
  validFrom: Date;
  validTo: string;
  options: tls.SecureContextOptions;
  context: tls.SecureContext;
}

async function readPem(file: string, role: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new SlotswapError('invalid_input', `${role} ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); fix the path or the file's permissions`, { file });
  }
}

/** One certificate/key pair, checked so the error names the file at fault, not a bare OpenSSL code. */
export async function loadCertificate(hosts: string[], certFile: string, keyFile: string): Promise<LoadedCertificate> {
  const cert = await readPem(certFile, 'certificate file');
  const key = await readPem(keyFile, 'key file');
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch (err) {
    throw new SlotswapError('invalid_input', `certificate file ${certFile}: expected a PEM certificate (-----BEGIN CERTIFICATE-----, the chain after it), got something OpenSSL cannot read (${(err as Error).message})`, { file: certFile });
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(key);
  } catch (err) {
    throw new SlotswapError('invalid_input', `key file ${keyFile}: expected an unencrypted PEM private key, got something OpenSSL cannot read (${(err as Error).message})`, { file: keyFile });
  }
  if (!x509.checkPrivateKey(privateKey)) {
    throw new SlotswapError('invalid_input', `key file ${keyFile} does not belong to certificate file ${certFile}: expected the key the certificate was issued for`, { file: keyFile });
  }
  const options: tls.SecureContextOptions = { cert, key, minVersion: MIN_TLS_VERSION };
  let context: tls.SecureContext;
  try {
    context = tls.createSecureContext(options);
  } catch (err) {
    throw new SlotswapError('invalid_input', `certificate file ${certFile} with key file ${keyFile} cannot be used: ${(err as Error).message}`, { file: certFile });
  }
  const names = (x509.subjectAltName ?? '').split(', ').filter((n) => n !== '').map((n) => n.replace(/^(DNS|IP Address):/, ''));
  return { hosts, certFile, keyFile, fingerprint256: x509.fingerprint256, serialNumber: x509.serialNumber, names, validFrom: new Date(x509.validFrom), validTo: x509.validTo, options, context };
}

/** A name matches a host entry exactly, or a "*.example.com" entry by one label. */
function matches(entry: string, name: string): boolean {
  const host = entry.toLowerCase();
  if (host.startsWith('*.')) {
    const dot = name.indexOf('.');
    return dot > 0 && name.slice(dot + 1) === host.slice(2);
  }
  return host === name;
}

export interface CertificateSummary {
  file: string;
  hosts: string[];
  names: string[];
  serialNumber: string;
  fingerprint256: string;
  validFrom: string;
  validTo: string;
}

export class CertificateStore {
  #default: LoadedCertificate | null = null;
  #byName: LoadedCertificate[] = [];

  constructor(private readonly config: TlsConfig) {}

  /** Reads every file; on any problem throws (invalid_input, naming the file) and keeps what was loaded before. */
  async load(): Promise<LoadedCertificate[]> {
    const fallback = await loadCertificate([], this.config.certFile, this.config.keyFile);
    const named: LoadedCertificate[] = [];
    for (const entry of this.config.certificates) named.push(await loadCertificate(entry.hosts, entry.certFile, entry.keyFile));
    this.#default = fallback;
    this.#byName = named;
    return [fallback, ...named];
  }

  get defaultCertificate(): LoadedCertificate {
    if (!this.#default) throw new SlotswapError('internal', 'the certificate store was used before load()');
    return this.#default;
  }

  /** The SNI choice: the first entry naming the host, else null (the server's default context answers). */
  contextFor(servername: string): tls.SecureContext | null {
    const name = servername.toLowerCase();
    for (const cert of this.#byName) if (cert.hosts.some((host) => matches(host, name))) return cert.context;
    return null;
  }

  get loaded(): LoadedCertificate[] {
    return this.#default ? [this.#default, ...this.#byName] : [...this.#byName];
  }

  summary(): CertificateSummary[] {
    return this.loaded.map((c) => ({
      file: c.certFile,
      hosts: c.hosts,
      names: c.names,
      serialNumber: c.serialNumber,
      fingerprint256: c.fingerprint256,
      validFrom: c.validFrom.toISOString(),
      validTo: new Date(c.validTo).toISOString(),
    }));
  }
}
