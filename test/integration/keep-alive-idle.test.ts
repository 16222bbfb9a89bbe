// Idle keep-alive client connections (proxy.keepAliveTimeoutMs): closed after the timeout they were told (Keep-Alive:
// timeout=), on plain HTTP and on HTTPS alike; a connection that keeps sending requests is never closed.
import { mkdtemp } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { describe, expect, it } from 'vitest';
import { makeProject, startDaemonIn } from '../helpers/test-daemon.js';
import { freePortRange } from '../helpers/ports.js';
import { makeCa, makeSignedCertificate } from '../helpers/tls-client.js';

const KEEP_ALIVE_MS = 1_000;
/** Node closes an idle connection this long after the timeout it advertised (its own margin against a late reuse). */
const NODE_KEEP_ALIVE_MARGIN_MS = 1_000;
const REQUEST = 'GET / HTTP/1.1\r\nHost: localhost\r\n\r\n';

/** One keep-alive connection: sends a request whenever asked, reads answers by their Content-Length, notes when it closes. */
function connection(socket: net.Socket) {
  let buffer = '';
  const answers: string[] = [];
  let waiting: (() => void) | null = null;
  let closedAt: number | null = null;
  socket.on('data', (c: Buffer) => {
    buffer += c.toString('latin1');
    for (;;) {
      const end = buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const length = Number(/content-length: *(\d+)/i.exec(buffer.slice(0, end))?.[1] ?? 0);
      if (buffer.length < end + 4 + length) return;
      answers.push(buffer.slice(0, end + 4 + length));
      buffer = buffer.slice(end + 4 + length);
      waiting?.();
    }
  });
  socket.on('error', () => {});
  const closed = new Promise<number>((resolve) => socket.on('close', () => resolve((closedAt = performance.now()))));
  return {
    answers,
    closed,
    get closedAt() {
      return closedAt;
    },
    async ask(): Promise<string> {
      const before = answers.length;
      const answered = new Promise<void>((resolve) => (waiting = () => answers.length > before && resolve()));
      socket.write(REQUEST);
      await answered;
      return answers[answers.length - 1]!;
    },
  };
}

async function expectClosedAfterItsTimeout(socket: net.Socket): Promise<void> {
  const c = connection(socket);
  const answer = await c.ask();
  const answeredAt = performance.now();
  expect(answer).toMatch(/^HTTP\/1\.1 200/);
  expect(answer).toMatch(/\r\nKeep-Alive: timeout=1\r\n/i);
  const idleMs = (await c.closed) - answeredAt;
  // Never before what it was told; within Node's margin after it (plus slack for a busy machine).
  expect(idleMs).toBeGreaterThanOrEqual(KEEP_ALIVE_MS);
  expect(idleMs).toBeLessThan(KEEP_ALIVE_MS + NODE_KEEP_ALIVE_MARGIN_MS + 2_000);
}

describe('idle keep-alive connections', () => {
  it('are closed after the Keep-Alive timeout they were told, on plain HTTP and on HTTPS; busy ones stay open', { timeout: 60_000 }, async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'slotswap-keepalive-'));
    const ca = await makeCa(dir);
    const cert = await makeSignedCertificate(dir, 'proxy', ca);
    const tlsPort = await freePortRange(1);
    const project = await makeProject({ proxy: { keepAliveTimeoutMs: KEEP_ALIVE_MS, headersTimeoutMs: 1_500, tls: { port: tlsPort, certFile: cert.certFile, keyFile: cert.keyFile } } });
    const daemon = await startDaemonIn(project);
    const proxyPort = Number(new URL(daemon.proxyUrl).port);

    // A client that sends a request every 400 ms for 3 s: always busy again before its timeout, never closed.
    const busySocket = net.connect(proxyPort, '127.0.0.1');
    const busy = connection(busySocket);
    const busyLoop = (async () => {
      for (let i = 0; i < 8; i++) {
        expect(await busy.ask()).toMatch(/^HTTP\/1\.1 200/);
        await new Promise((r) => setTimeout(r, 400));
      }
    })();

    const plain = net.connect(proxyPort, '127.0.0.1');
    const secure = tls.connect({ host: '127.0.0.1', port: tlsPort, ca: [ca.pem], servername: 'localhost' });
    await Promise.all([expectClosedAfterItsTimeout(plain), expectClosedAfterItsTimeout(secure), busyLoop]);
    expect(busy.answers).toHaveLength(8);
    expect(busy.closedAt).toBeNull();
    busySocket.destroy();
  });
});
