// A real ACME server for tests: Debian's pebble on loopback, with pebble-challtestsrv as its DNS answering 127.0.0.1 for
// every name, so HTTP-01 validation lands on the daemon's plain-HTTP port (pebble's httpPort). Stopped by pid.
import { spawn, spawnSync, execFile, type ChildProcess } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import https from 'node:https';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePortRange } from './ports.js';

const run = promisify(execFile);

/** Null when pebble can run here, otherwise why not (the tests skip locally and fail under CI). */
export function pebbleMissing(): string | null {
  for (const bin of ['pebble', 'pebble-challtestsrv']) {
    if (spawnSync(bin, ['-h'], { stdio: 'ignore' }).error) return `${bin} not found (apt-get install pebble)`;
  }
  return null;
}

export interface Pebble {
  directoryUrl: string;
  /** The CA file that signed pebble's own HTTPS certificate (its pebble.minica.pem, made here): proxy.tls.acme.caBundle. */
  caBundle: string;
  managementUrl: string;
  pids: number[];
  /** Pebble's issuing root (new on every start), from its management endpoint /roots/0. */
  root: () => Promise<string>;
  output: () => string;
  stop: () => Promise<void>;
}

function fetchText(url: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { ca, timeout: 5_000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/** What pebble ships as test/certs (not in the Debian package): a throw-away CA and a 127.0.0.1/localhost certificate. */
async function makeMinica(dir: string): Promise<{ ca: string; cert: string; key: string }> {
  const file = (name: string) => path.join(dir, name);
  await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', '/CN=pebble minica (test)', '-keyout', file('minica.key'), '-out', file('pebble.minica.pem')]);
  await run('openssl', ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', '/CN=localhost', '-keyout', file('key.pem'), '-out', file('pebble.csr')]);
  await writeFile(file('san.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  await run('openssl', ['x509', '-req', '-in', file('pebble.csr'), '-CA', file('pebble.minica.pem'), '-CAkey', file('minica.key'), '-CAcreateserial', '-days', '2', '-extfile', file('san.ext'), '-out', file('cert.pem')]);
  return { ca: file('pebble.minica.pem'), cert: file('cert.pem'), key: file('key.pem') };
}

/** Starts pebble with HTTP-01 validation against 127.0.0.1:httpPort; ports from the worker's share (VITEST_POOL_ID). */
export async function startPebble(dir: string, httpPort: number): Promise<Pebble> {
  return (await preparePebble(dir, httpPort)).start();
}

/** Its certificates, ports and URLs first (for a daemon configured before the CA is up), then start() it. */
export async function preparePebble(dir: string, httpPort: number): Promise<{ directoryUrl: string; caBundle: string; start: () => Promise<Pebble> }> {
  await mkdir(dir, { recursive: true });
  const certs = await makeMinica(dir);
  const base = await freePortRange(5);
  const [acmePort, managementPort, tlsPort, dnsPort, challManagementPort] = [base, base + 1, base + 2, base + 3, base + 4];
  const configFile = path.join(dir, 'pebble-config.json');
  await writeFile(configFile, JSON.stringify({
    pebble: {
      listenAddress: `127.0.0.1:${acmePort}`,
      managementListenAddress: `127.0.0.1:${managementPort}`,
      certificate: certs.cert,
      privateKey: certs.key,
      httpPort,
      tlsPort,
      ocspResponderURL: '',
      externalAccountBindingRequired: false,
    },
  }, null, 2));
  const directoryUrl = `https://127.0.0.1:${acmePort}/dir`;
  return { directoryUrl, caBundle: certs.ca, start: () => launch(dir, certs, configFile, directoryUrl, managementPort, dnsPort, challManagementPort) };
}

async function launch(dir: string, certs: { ca: string }, configFile: string, directoryUrl: string, managementPort: number, dnsPort: number, challManagementPort: number): Promise<Pebble> {
  let output = '';
  const children: ChildProcess[] = [];
  const startChild = (cmd: string, args: string[], env: NodeJS.ProcessEnv = {}) => {
    const child = spawn(cmd, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    children.push(child);
    return child;
  };
  startChild('pebble-challtestsrv', ['-defaultIPv4', '127.0.0.1', '-defaultIPv6', '', '-dns01', `127.0.0.1:${dnsPort}`, '-http01', '', '-https01', '', '-tlsalpn01', '', '-management', `127.0.0.1:${challManagementPort}`]);
  startChild('pebble', ['-config', configFile, '-dnsserver', `127.0.0.1:${dnsPort}`], { PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: '0' });
  const ca = await readFile(certs.ca, 'utf8');
  const managementUrl = `https://127.0.0.1:${managementPort}`;
  const stop = async () => {
    await Promise.all(children.map((child) => new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return resolve();
      child.once('exit', () => resolve());
      process.kill(child.pid, 'SIGTERM');
      setTimeout(() => child.exitCode === null && child.signalCode === null && child.pid !== undefined && process.kill(child.pid, 'SIGKILL'), 5_000).unref();
    })));
  };
  const until = Date.now() + 20_000;
  for (;;) {
    const ready = await fetchText(directoryUrl, ca).then((r) => r.status === 200, () => false);
    const dnsUp = output.includes('Starting challenge servers');
    if (ready && dnsUp) break;
    if (Date.now() > until || children.some((c) => c.exitCode !== null)) {
      await stop();
      throw new Error(`pebble did not start within 20 s; its output:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    directoryUrl,
    caBundle: certs.ca,
    managementUrl,
    pids: children.map((c) => c.pid!),
    root: async () => {
      const answer = await fetchText(`${managementUrl}/roots/0`, ca);
      if (answer.status !== 200) throw new Error(`pebble /roots/0 answered ${answer.status}`);
      return answer.body;
    },
    output: () => output,
    stop,
  };
}
