// slotswap restart with HTTPS on the proxy: the TLS listener's socket is handed over too, and the new daemon
// loads the certificate files as they are now.
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { copyFile, mkdtemp, readFile } from 'node:fs/promises';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { makeProject, startDaemonIn } from '../helpers/test-daemon.js';
import { freePortRange } from '../helpers/ports.js';
import { stopCurrentDaemonAtEnd } from '../helpers/restarted-daemon.js';

const run = promisify(execFile);

async function certificate(dir: string, name: string): Promise<{ certFile: string; keyFile: string; pem: string }> {
  const certFile = path.join(dir, `${name}.crt`);
  const keyFile = path.join(dir, `${name}.key`);
  await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', `/CN=${name}`, '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', keyFile, '-out', certFile]);
  return { certFile, keyFile, pem: await readFile(certFile, 'utf8') };
}

function servedFingerprint(port: number, ca: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ca, servername: 'localhost' }, () => {
      resolve(socket.getPeerCertificate().fingerprint256);
      socket.end();
    });
    socket.on('error', reject);
  });
}

/** Closed-loop HTTPS clients on keep-alive connections, recording every failure. */
function httpsLoad(url: string, ca: string[], clients: number, stop: () => boolean): Promise<{ ok: number; failed: string[] }> {
  const agent = new https.Agent({ keepAlive: true, maxSockets: clients, ca });
  const result = { ok: 0, failed: [] as string[] };
  const until = Date.now() + 120_000;
  const one = () =>
    new Promise<void>((resolve) => {
      const req = https.get(url, { agent, servername: 'localhost', timeout: 30_000 }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode === 200) result.ok++;
          else result.failed.push(`HTTP ${res.statusCode}`);
          resolve();
        });
      });
      req.on('error', (err) => {
        result.failed.push(err.message);
        resolve();
      });
    });
  const client = async () => {
    while (!stop() && Date.now() < until) await one();
  };
  return Promise.all(Array.from({ length: clients }, client)).then(() => {
    agent.destroy();
    return result;
  });
}

describe('slotswap restart with TLS', () => {
  it('hands over the HTTPS listener: no failed request over keep-alive TLS, and the new daemon serves the certificate now on disk', { timeout: 180_000 }, async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'slotswap-restart-tls-'));
    const [first, second] = [await certificate(dir, 'first'), await certificate(dir, 'second')];
    const certFile = path.join(dir, 'live.crt');
    const keyFile = path.join(dir, 'live.key');
    await copyFile(first.certFile, certFile);
    await copyFile(first.keyFile, keyFile);
    const tlsPort = await freePortRange(1);
    const project = await makeProject({ proxy: { tls: { port: tlsPort, certFile, keyFile } } });
    const daemon = await startDaemonIn(project);
    stopCurrentDaemonAtEnd(project.dir);
    const ca = [first.pem, second.pem];
    expect(await servedFingerprint(tlsPort, ca)).toBe(new X509Certificate(first.pem).fingerprint256);

    let stop = false;
    const load = httpsLoad(`https://127.0.0.1:${tlsPort}/`, ca, 20, () => stop);
    await copyFile(second.certFile, certFile);
    await copyFile(second.keyFile, keyFile);
    for (let round = 0; round < 2; round++) {
      const restarted = await daemon.cli(['restart'], 90_000);
      expect(restarted.code, restarted.stderr).toBe(0);
    }
    stop = true;
    const outcome = await load;
    expect(outcome.failed.slice(0, 5)).toEqual([]);
    expect(outcome.ok).toBeGreaterThan(100);
    expect(await servedFingerprint(tlsPort, ca)).toBe(new X509Certificate(second.pem).fingerprint256);
  });
});
