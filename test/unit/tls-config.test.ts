import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load-config.js';
import { CertificateStore } from '../../src/tls/certificate-store.js';

async function configFile(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'slotswap-tls-config-'));
  await mkdir(path.join(dir, 'sites/sample-api'), { recursive: true });
  await writeFile(path.join(dir, 'sites/sample-api/release.json'), '{}');
  return path.join(dir, 'orchestrator.config.json');
}

async function problemsOf(raw: unknown): Promise<string> {
  return validateConfig(raw, await configFile()).then(
    () => 'accepted',
    (err: Error) => err.message,
  );
}

describe('proxy.tls in the config', () => {
  it('is off by default, and the public URL stays http on the proxy port', async () => {
    const config = await validateConfig({}, await configFile());
    expect(config.proxy.tls).toEqual({ port: 8443, certFile: '', keyFile: '', certificates: [], acme: { directoryUrl: '', email: '', domains: [], caBundle: '' } });
    expect(config.proxy.redirectHttp).toBe(false);
    expect(config.proxy.publicUrl).toBe('http://localhost:8080');
  });

  it('resolves the files against the config folder and derives an https public URL on the TLS port', async () => {
    const file = await configFile();
    const config = await validateConfig({ proxy: { tls: { port: 9443, certFile: 'tls/a.crt', keyFile: 'tls/a.key', certificates: [{ hosts: ['api.example.com'], certFile: 'b.crt', keyFile: '/abs/b.key' }] } } }, file);
    const dir = path.dirname(file);
    expect(config.proxy.tls.certFile).toBe(path.join(dir, 'tls/a.crt'));
    expect(config.proxy.tls.certificates[0]).toEqual({ hosts: ['api.example.com'], certFile: path.join(dir, 'b.crt'), keyFile: '/abs/b.key' });
    expect(config.proxy.publicUrl).toBe('https://localhost:9443');
  });

  it('names each problem with its key path', async () => {
    const message = await problemsOf({ proxy: { redirectHttp: 'yes', tls: { certFile: 'a.crt', certificates: [{ certFile: 'b.crt' }, 3] } } });
    expect(message).toContain('"proxy.redirectHttp": expected true or false, got');
    expect(message).toContain('"proxy.tls": expected both certFile and keyFile (PEM files), got only certFile');
    expect(message).toContain('"proxy.tls.certificates[0]": expected "hosts" with at least one name');
    expect(message).toContain('"proxy.tls.certificates[1]": expected an object, got');
    expect(await problemsOf({ proxy: { redirectHttp: true } })).toContain('"proxy.redirectHttp": expected TLS to be on');
    expect(await problemsOf({ proxy: { port: 9000, tls: { port: 9000, certFile: 'a', keyFile: 'b' } } })).toContain('"proxy.tls.port": port 9000 is also proxy.port');
  });

  it('refuses a missing certificate file, naming it', async () => {
    const store = new CertificateStore({ port: 0, certFile: '/nonexistent/x.crt', keyFile: '/nonexistent/x.key', certificates: [], acme: { directoryUrl: '', email: '', domains: [], caBundle: '' } });
    await expect(store.load()).rejects.toThrow('certificate file /nonexistent/x.crt cannot be read (ENOENT)');
  });
});
