import net from 'node:net';
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { makeRelease, startDaemon } from '../helpers/test-daemon.js';
import { request } from '../helpers/http-client.js';
import { eventually } from '../helpers/eventually.js';

const PRINT_MB = 30;
const NEVER_READING = 4;
/** The print alone (no follower) raised the daemon's RSS by about 28 MB here; five unbounded followers by 127 MB. */
const MAX_RSS_GROWTH_MB = 80;

/** A server that answers like the sample API and prints `mb` megabytes of log lines on GET /print before it answers. */
const LOUD_SERVER = `
import http from 'node:http';
const identity = () => ({ version: process.env.SLOTSWAP_VERSION, pid: process.pid });
const line = 'x'.repeat(1000) + '\\n';
const block = line.repeat(64);
http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  if (url.pathname === '/print') {
    const blocks = Math.ceil((Number(url.searchParams.get('mb')) * 1024 * 1024) / block.length);
    for (let i = 0; i < blocks; i++) process.stdout.write(block);
  }
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ status: 'ok', ...identity() }));
}).listen(Number(process.env.PORT), process.env.HOST || '127.0.0.1');
`;

async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)![1]) / 1024;
}

/** The server side of a loopback connection, from /proc/net/tcp: 'established', another state, or 'gone'. */
async function serverSideState(serverPort: number, clientPort: number): Promise<string> {
  const hex = (port: number) => port.toString(16).toUpperCase().padStart(4, '0');
  const rows = (await readFile('/proc/net/tcp', 'utf8')).split('\n').slice(1).map((l) => l.trim().split(/\s+/));
  const row = rows.find((r) => r[1]?.endsWith(`:${hex(serverPort)}`) && r[2]?.endsWith(`:${hex(clientPort)}`));
  if (!row) return 'gone';
  return row[3] === '01' ? 'established' : `state ${row[3]}`;
}

/** GET /api/logs/<slot>?follow=1 on a raw socket that is paused at once: it never reads unless told to. */
function follower(port: number, token: string, slot: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.pause();
      socket.write(`GET /api/logs/${slot}?follow=1&lines=0 HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\n\r\n`);
      resolve(socket);
    });
    socket.on('error', () => {});
    socket.once('error', reject);
  });
}

describe('logs --follow back-pressure', () => {
  it('drops followers that do not read once their buffer passes the bound, says so in a last line, and keeps the daemon RSS bounded', { timeout: 120_000 }, async () => {
    const daemon = await startDaemon();
    const adminPort = Number(new URL(daemon.adminUrl).port);
    const release = await makeRelease(daemon.dir, 'loud', { version: '1.1.0', start: ['node', 'loud.mjs'] }, { 'loud.mjs': LOUD_SERVER });
    const deploy = await daemon.cli(['deploy', release], 60_000);
    expect(deploy.code, deploy.stderr).toBe(0);
    const live = (await daemon.status()).live!;

    const sockets = await Promise.all(Array.from({ length: NEVER_READING + 1 }, () => follower(adminPort, daemon.token, live)));
    const [reader, ...neverReading] = sockets as [net.Socket, ...net.Socket[]];
    // Every follower is being served (headers sent) before the flood of output starts.
    await eventually(async () => {
      for (const s of sockets) expect(await serverSideState(adminPort, s.localPort!)).toBe('established');
    });
    const pid = daemon.process.pid!;
    const rssBefore = await rssMb(pid);
    let rssMax = rssBefore;
    const sampler = setInterval(() => void rssMb(pid).then((mb) => (rssMax = Math.max(rssMax, mb)), () => {}), 100);
    try {
      // The daemon says which followers it dropped (by their address), while none of them has read a byte.
      const dropped = (s: net.Socket) => daemon.output().includes(`dropped the logs --follow client 127.0.0.1:${s.localPort} `);
      // Loopback socket buffers take several MB before the daemon's own buffer grows, and a busy machine polls the
      // log less often (it rotates at 5 MiB): print in rounds until every follower is dropped, bounded in size and time.
      const until = Date.now() + 60_000;
      for (let printedMb = 0; sockets.filter(dropped).length < sockets.length; printedMb += PRINT_MB) {
        expect(printedMb < 10 * PRINT_MB && Date.now() < until, `followers dropped after ${printedMb} MB printed: ${sockets.filter(dropped).length} of ${sockets.length}`).toBe(true);
        const printed = await request(`${daemon.proxyUrl}/print?mb=${PRINT_MB}`, { timeoutMs: 60_000 });
        expect(printed.status).toBe(200);
        await eventually(() => expect(sockets.filter(dropped).length).toBe(sockets.length), 2_000).catch(() => {});
      }

      // One follower starts reading now: it gets what was buffered, then the last line, then the end of the response.
      let text = '';
      reader.on('data', (c: Buffer) => (text = (text + c.toString('latin1')).slice(-4096)));
      const closed = new Promise<void>((resolve) => reader.once('close', () => resolve()));
      reader.resume();
      await Promise.race([closed, new Promise((_, reject) => setTimeout(() => reject(new Error(`the reading follower was not closed; it last got ${JSON.stringify(text.slice(-200))}`)), 30_000))]);
      // The response is chunked: the last line is the last chunk before the terminating one.
      expect(text.slice(-300)).toMatch(/\nslotswap: follower too slow, dropped after \d+ bytes buffered; reconnect with slotswap logs --follow\n\r\n0\r\n\r\n$/);

      // The ones that never read are closed by the server all the same.
      await eventually(async () => {
        for (const s of neverReading) expect(await serverSideState(adminPort, s.localPort!)).not.toBe('established');
      }, 30_000);
    } finally {
      clearInterval(sampler);
      for (const s of sockets) s.destroy();
    }
    expect(rssMax - rssBefore, `daemon RSS ${rssBefore.toFixed(1)} MB -> peak ${rssMax.toFixed(1)} MB`).toBeLessThan(MAX_RSS_GROWTH_MB);
  });
});
