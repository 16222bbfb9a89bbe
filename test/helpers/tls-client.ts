// TLS clients for tests: the certificate a new connection gets, one HTTPS request, and a bounded HTTPS load loop.
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import type http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Served {
  fingerprint256: string;
  serialNumber: string;
}

/** A fresh handshake to 127.0.0.1:port, verified against `ca` for `servername`. */
export function servedCertificate(port: number, ca: string[], servername: string): Promise<Served> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ca, servername, timeout: 10_000 }, () => {
      const peer = socket.getPeerCertificate();
      socket.end();
      resolve({ fingerprint256: peer.fingerprint256, serialNumber: peer.serialNumber.toUpperCase() });
    });
    socket.on('timeout', () => socket.destroy(new Error('TLS handshake timed out')));
    socket.on('error', reject);
  });
}

export function httpsGet(port: number, target: string, ca: string[], servername: string, agent?: https.Agent): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port, path: target, ca, servername, agent, timeout: 30_000, headers: { host: servername } }, (res) => {
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

/** `clients` loops (even ones keep-alive, odd ones a new handshake per request), each bounded in count and time. */
export function httpsLoad(port: number, ca: string[], servername: string, clients: number, stop: () => boolean, maxMs = 60_000, maxPerClient = 5_000) {
  const until = Date.now() + maxMs;
  const errors: string[] = [];
  let answered = 0;
  const loops = Array.from({ length: clients }, async (_, c) => {
    const agent = new https.Agent({ keepAlive: c % 2 === 0, ca, maxSockets: 1 });
    for (let i = 0; i < maxPerClient && !stop() && Date.now() < until; i++) {
      try {
        const answer = await httpsGet(port, '/', ca, servername, agent);
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

export interface Pair {
  certFile: string;
  keyFile: string;
  pem: string;
  fingerprint: string;
}

/** A CA made by openssl in `dir` (ca.pem / ca.key), for certificates signed by it. */
export async function makeCa(dir: string): Promise<{ caFile: string; caKey: string; pem: string }> {
  const caFile = path.join(dir, 'ca.pem');
  const caKey = path.join(dir, 'ca.key');
  await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', '/CN=slotswap test CA', '-keyout', caKey, '-out', caFile]);
  return { caFile, caKey, pem: await readFile(caFile, 'utf8') };
}

/** A certificate for 127.0.0.1 and localhost signed by the CA. */
export async function makeSignedCertificate(dir: string, name: string, ca: { caFile: string; caKey: string }): Promise<Pair> {
  const certFile = path.join(dir, `${name}.crt`);
  const keyFile = path.join(dir, `${name}.key`);
  const csr = path.join(dir, `${name}.csr`);
  const ext = path.join(dir, `${name}.ext`);
  await run('openssl', ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', `/CN=${name}`, '-keyout', keyFile, '-out', csr]);
  await writeFile(ext, 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  await run('openssl', ['x509', '-req', '-in', csr, '-CA', ca.caFile, '-CAkey', ca.caKey, '-CAcreateserial', '-days', '2', '-extfile', ext, '-out', certFile]);
  const pem = await readFile(certFile, 'utf8');
  return { certFile, keyFile, pem, fingerprint: new X509Certificate(pem).fingerprint256 };
}
