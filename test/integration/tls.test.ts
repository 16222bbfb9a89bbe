// HTTPS on the proxy with certificate files: load through deploys, reload under load, and the plain-HTTP redirect.
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, writeFile, copyFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { makeProject, startDaemonIn, type TestDaemon } from '../helpers/test-daemon.js';
import { freePortRange } from '../helpers/ports.js';
import { eventually } from '../helpers/eventually.js';

const run = promisify(execFile);

interface Pair {
  certFile: string;
  keyFile: string;
  pem: string;
  fingerprint: string;
}

/** A self-signed certificate for 127.0.0.1 and localhost, made by openssl in the test's folder. */
async function makeCertificate(dir: string, name: string, san = 'IP:127.0.0.1,DNS:localhost'): Promise<Pair> {
  const certFile = path.join(dir, `${name}.crt`);
  const keyFile = path.join(dir, `${name}.key`);
  await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', `/CN=${name}`, '-addext', `subjectAltName=${san}`, '-keyout', keyFile, '-out', certFile]);
  const pem = await readFile(certFile, 'utf8');
  return { certFile, keyFile, pem, fingerprint: new X509Certificate(pem).fingerprint256 };
}

async function tlsDaemon(cert: Pair, extra: Record<string, unknown> = {}): Promise<{ daemon: TestDaemon; httpsUrl: string; tlsPort: number }> {
  const tlsPort = await freePortRange(1);
  const project = await makeProject({ proxy: { tls: { port: tlsPort, certFile: cert.certFile, keyFile: cert.keyFile }, ...extra } });
  const daemon = await startDaemonIn(project);
  return { daemon, httpsUrl: `https://127.0.0.1:${tlsPort}`, tlsPort };
}

/** The certificate a new connection gets (a fresh handshake each time). */
function servedFingerprint(port: number, ca: string[], servername = 'localhost'): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ca, servername }, () => {
      const fingerprint = socket.getPeerCertificate().fingerprint256;
      socket.end();
      resolve(fingerprint);
    });
    socket.on('error', reject);
  });
}

function get(url: string, options: https.RequestOptions = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  const client = url.startsWith('https:') ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.request(url, { ...options, timeout: 30_000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** N HTTPS clients (even ones keep-alive, odd ones a new handshake per request), bounded in count and time. */
function httpsLoad(url: string, ca: string[], clients: number, stop: () => boolean, maxMs = 120_000) {
  const until = Date.now() + maxMs;
  const errors: string[] = [];
  let answered = 0;
  const loops = Array.from({ length: clients }, async (_, c) => {
    const agent = new https.Agent({ keepAlive: c % 2 === 0, ca, maxSockets: 1 });
    for (let i = 0; i < 20_000 && !stop() && Date.now() < until; i++) {
      try {
        const answer = await get(`${url}/`, { agent });
        if (answer.status !== 200) errors.push(`client ${c}: HTTP ${answer.status} ${answer.body.slice(0, 200)}`);
        answered++;
      } catch (err) {
        errors.push(`client ${c}: ${(err as Error).message}`);
      }
    }
    agent.destroy();
  });
  return { done: Promise.all(loops).then(() => errors), answered: () => answered };
}

describe('HTTPS with certificate files', () => {
  it('answers 50 HTTPS clients through 5 deploys with 0 failed, and the manifest names https URLs', { timeout: 180_000 }, async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'slotswap-tls-'));
    const cert = await makeCertificate(dir, 'first');
    const { daemon, httpsUrl, tlsPort } = await tlsDaemon(cert);
    let stop = false;
    const load = httpsLoad(httpsUrl, [cert.pem], 50, () => stop);
    try {
      await eventually(() => expect(load.answered()).toBeGreaterThan(50), 20_000);
      for (let i = 1; i <= 5; i++) {
        const result = await daemon.cli(['deploy', `${daemon.dir}/sites/sample-api`, '--version', `1.${i}.0`, '--wait-drain'], 60_000);
        expect(result.code, result.stderr + result.stdout).toBe(0);
        const before = load.answered();
        await eventually(() => expect(load.answered()).toBeGreaterThan(before + 20), 20_000);
      }
    } finally {
      stop = true;
    }
    expect(await load.done).toEqual([]);
    const manifest = JSON.parse((await get(`${httpsUrl}/AppRun.json`, { ca: [cert.pem] })).body) as { webApiUrl: string; version: string };
    expect(manifest.version).toBe('1.5.0');
    expect(manifest.webApiUrl).toMatch(new RegExp(`^https://localhost:${tlsPort}/_slots/[ab]/$`));
    // X-Forwarded-Proto says which side the client came in on.
    const overTls = JSON.parse((await get(`${httpsUrl}/headers`, { ca: [cert.pem] })).body) as { headers: Record<string, string> };
    expect(overTls.headers['x-forwarded-proto']).toBe('https');
    const plain = JSON.parse((await get(`${daemon.proxyUrl}/headers`)).body) as { headers: Record<string, string> };
    expect(plain.headers['x-forwarded-proto']).toBe('http');
    console.log(`tls: ${load.answered()} HTTPS requests by 50 clients through 5 deploys, 0 failed`);
  });

  it('serves a replaced certificate to new connections after `slotswap tls reload` under load, and refuses a broken file keeping the old one', { timeout: 120_000 }, async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'slotswap-tls-'));
    const first = await makeCertificate(dir, 'first');
    const second = await makeCertificate(dir, 'second');
    const served = { certFile: path.join(dir, 'served.crt'), keyFile: path.join(dir, 'served.key'), pem: first.pem, fingerprint: first.fingerprint };
    await copyFile(first.certFile, served.certFile);
    await copyFile(first.keyFile, served.keyFile);
    const { daemon, httpsUrl, tlsPort } = await tlsDaemon(served);
    const ca = [first.pem, second.pem];
    expect(await servedFingerprint(tlsPort, ca)).toBe(first.fingerprint);
    let stop = false;
    const load = httpsLoad(httpsUrl, ca, 10, () => stop);
    try {
      await eventually(() => expect(load.answered()).toBeGreaterThan(50), 20_000);
      await copyFile(second.certFile, served.certFile);
      await copyFile(second.keyFile, served.keyFile);
      const reload = await daemon.cli(['tls', 'reload']);
      expect(reload.code, reload.stderr + reload.stdout).toBe(0);
      expect(reload.stdout).toContain(second.fingerprint);
      expect(await servedFingerprint(tlsPort, ca)).toBe(second.fingerprint);
      const before = load.answered();
      await eventually(() => expect(load.answered()).toBeGreaterThan(before + 50), 20_000);

      // A broken certificate file: refused, naming the file and what is wrong; the second certificate is still served.
      await writeFile(served.certFile, 'not a certificate\n');
      const broken = await daemon.cli(['tls', 'reload']);
      expect(broken.code).toBe(2);
      expect(broken.stderr).toContain(served.certFile);
      expect(broken.stderr).toMatch(/expected a PEM certificate/);
      expect(await servedFingerprint(tlsPort, ca)).toBe(second.fingerprint);
      // A key that is not the certificate's: refused too, through the admin API as 422.
      await copyFile(second.certFile, served.certFile);
      await copyFile(first.keyFile, served.keyFile);
      const mismatch = await daemon.api('POST', '/api/tls/reload');
      expect(mismatch.status).toBe(422);
      expect(mismatch.json.message).toContain(`key file ${served.keyFile} does not belong to certificate file ${served.certFile}`);
      expect(await servedFingerprint(tlsPort, ca)).toBe(second.fingerprint);
      // SIGHUP reloads too: the first pair back in place, and new connections get it.
      await copyFile(first.certFile, served.certFile);
      daemon.process.kill('SIGHUP');
      await eventually(async () => expect(await servedFingerprint(tlsPort, ca)).toBe(first.fingerprint), 10_000);
      await eventually(() => expect(daemon.output()).toContain('SIGHUP: reloaded 1 certificate(s)'), 5_000);
      const after = load.answered();
      await eventually(() => expect(load.answered()).toBeGreaterThan(after + 20), 20_000);
    } finally {
      stop = true;
    }
    expect(await load.done).toEqual([]);
    console.log(`tls reload: ${load.answered()} HTTPS requests by 10 clients across a reload and two refused ones, 0 failed`);
  });

  it('redirects plain HTTP with 308 to the https URL, but answers the ACME challenge path itself', { timeout: 60_000 }, async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'slotswap-tls-'));
    const cert = await makeCertificate(dir, 'first');
    const { daemon, httpsUrl, tlsPort } = await tlsDaemon(cert, { redirectHttp: true, hsts: 'max-age=31536000' });
    const plain = await get(`${daemon.proxyUrl}/some/path?x=1`);
    expect(plain.status).toBe(308);
    expect(plain.headers.location).toBe(`https://localhost:${tlsPort}/some/path?x=1`);
    const challenge = await get(`${daemon.proxyUrl}/.well-known/acme-challenge/token-1`);
    expect(challenge.status).toBe(404);
    expect(challenge.headers['x-served-by-slot']).toMatch(/^[ab]$/);
    const secure = await get(`${httpsUrl}/`, { ca: [cert.pem] });
    expect(secure.status).toBe(200);
    expect(secure.headers['strict-transport-security']).toBe('max-age=31536000');
  });

  it('chooses the certificate by SNI: a listed host gets its own, any other name the default', { timeout: 60_000 }, async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'slotswap-tls-'));
    const fallback = await makeCertificate(dir, 'default');
    const api = await makeCertificate(dir, 'api', 'DNS:api.test,DNS:a.wild.test');
    const tlsPort = await freePortRange(1);
    const project = await makeProject({ proxy: { tls: { port: tlsPort, certFile: fallback.certFile, keyFile: fallback.keyFile, certificates: [{ hosts: ['api.test', '*.wild.test'], certFile: api.certFile, keyFile: api.keyFile }] } } });
    await startDaemonIn(project);
    const ca = [fallback.pem, api.pem];
    expect(await servedFingerprint(tlsPort, ca, 'api.test')).toBe(api.fingerprint);
    expect(await servedFingerprint(tlsPort, ca, 'a.wild.test')).toBe(api.fingerprint);
    expect(await servedFingerprint(tlsPort, ca, 'localhost')).toBe(fallback.fingerprint);
  });
});
