// The forwarding engine through the real ProxyServer on hand-built snapshots and real backends on 127.0.0.1:
// trailers kept, a hung backend answered 504 without wedging its instance, and a slow client never buffered in memory.
import http from 'node:http';
import net from 'node:net';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { ProxyServer } from '../../src/proxy/proxy-server.js';
import { buildManifestView, buildSlotView, type RoutingSnapshot, type SlotView } from '../../src/proxy/routing-snapshot.js';
import { DEFAULT_UPSTREAM_TIMEOUTS, Upstream } from '../../src/proxy/upstream.js';
import type { UpstreamTimeouts } from '../../src/proxy/engines/engine.js';
import { request } from '../helpers/http-client.js';
import { eventually } from '../helpers/eventually.js';
import { makeProject, startDaemonIn } from '../helpers/test-daemon.js';

async function backend(handler: http.RequestListener, onConnection: () => void = () => {}): Promise<number> {
  const server = http.createServer(handler);
  server.on('connection', onConnection);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve()).closeAllConnections()));
  return (server.address() as net.AddressInfo).port;
}

function liveSnapshot(port: number, timeouts: UpstreamTimeouts = DEFAULT_UPSTREAM_TIMEOUTS): RoutingSnapshot {
  const upstream = new Upstream('a', 0, port, undefined, timeouts);
  onTestFinished(() => upstream.destroy());
  const a: SlotView = buildSlotView({ name: 'a', state: 'live', version: '1.0.0', minCompatibleVersion: '1.0.0', upstreams: [upstream] }, '/_slots');
  const b: SlotView = buildSlotView({ name: 'b', state: 'empty', version: null, minCompatibleVersion: null, upstreams: [] }, '/_slots');
  const manifest = { app: 'x', version: '1.0.0', minCompatibleVersion: '1.0.0', webApiUrl: '', slot: 'a' as const, deployment_urls: { web_api: '' }, updatedAt: '', notice: null };
  return { live: a, slots: { a, b }, manifest: buildManifestView(manifest) };
}

async function startProxy(snapshot: RoutingSnapshot): Promise<string> {
  const settings = { manifestPath: '/AppRun.json', slotPathPrefix: '/_slots', upgradeStatus: 426, manifestUrl: 'http://x/AppRun.json' };
  const proxy = new ProxyServer(settings, 'x-app-version', snapshot, { timeoutMs: 2_000, maxQueued: 100 }, { keepAliveTimeoutMs: 5_000, headersTimeoutMs: 5_000 });
  await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => proxy.close(1_000, () => 0));
  return `http://127.0.0.1:${(proxy.server.address() as net.AddressInfo).port}`;
}

/** One GET with its trailers (the shared helper does not read them). */
function getWithTrailers(url: string): Promise<{ status: number; body: string; trailers: NodeJS.Dict<string> }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: 5_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, trailers: res.trailers }));
    });
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
  });
}

describe('the forwarding engine', () => {
  it('passes a chunked answer\'s trailers through to the client', async () => {
    const port = await backend((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', trailer: 'x-checksum' });
      res.write('first part, ');
      res.write('second part');
      res.addTrailers({ 'x-checksum': 'sha256-abc' });
      res.end();
    });
    const url = await startProxy(liveSnapshot(port));
    expect(await getWithTrailers(`${url}/stream`)).toEqual({ status: 200, body: 'first part, second part', trailers: { 'x-checksum': 'sha256-abc' } });
  });

  it('answers 504 JSON when an instance sends no headers within its timeout, and the instance serves the next request', async () => {
    const port = await backend((req, res) => {
      if (req.url === '/hang') return; // never answers
      res.end('fine');
    });
    const url = await startProxy(liveSnapshot(port, { ...DEFAULT_UPSTREAM_TIMEOUTS, headersTimeoutMs: 300 }));
    const hung = await request(`${url}/hang`, { timeoutMs: 5_000 });
    expect({ status: hung.status, error: JSON.parse(hung.body).error, retryAfter: hung.headers['retry-after'] }).toEqual({ status: 504, error: 'gateway_timeout', retryAfter: '1' });
    const next = await request(`${url}/`, { timeoutMs: 5_000 });
    expect({ status: next.status, body: next.body }).toEqual({ status: 200, body: 'fine' });
  });
});

/** The bootstrap release, replaced by one that streams `mb` MiB as fast as its client takes them. */
const STREAMING_SERVER = `
import http from 'node:http';
const chunk = Buffer.alloc(64 * 1024, 120);
http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  if (url.pathname === '/health') return res.end(JSON.stringify({ status: 'ok', pid: process.pid }));
  let left = Number(url.searchParams.get('mb')) * 16;
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(left * chunk.length) });
  const pump = () => { while (left > 0) { left--; if (!res.write(chunk)) return res.once('drain', pump); } res.end(); };
  pump();
}).listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
`;

async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

describe('the forwarding engine under a slow client', () => {
  it('keeps the daemon\'s memory flat while a client reads a 200 MiB answer slowly (back-pressure to the instance)', { timeout: 90_000 }, async () => {
    const project = await makeProject();
    await writeFile(path.join(project.dir, 'sites/sample-api/server.mjs'), STREAMING_SERVER);
    const daemon = await startDaemonIn(project);
    const pid = daemon.process.pid!;
    const before = await rssMiB(pid);
    let peak = before;
    let received = 0;
    const url = new URL(`${daemon.proxyUrl}/big?mb=200`);
    await new Promise<void>((resolve, reject) => {
      const socket = net.connect(Number(url.port), '127.0.0.1', () => socket.write(`GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n`));
      // The client takes 1 MiB, then pauses 20 ms (at most 50 MiB/s): far slower than the instance can send on loopback.
      let taken = 0;
      socket.on('data', (chunk: Buffer) => {
        received += chunk.length;
        taken += chunk.length;
        if (taken < 1024 * 1024) return;
        taken = 0;
        socket.pause();
        setTimeout(() => socket.resume(), 20);
      });
      const sampler = setInterval(() => void rssMiB(pid).then((mib) => (peak = Math.max(peak, mib)), () => {}), 100);
      const deadline = setTimeout(() => socket.destroy(new Error(`only ${received} bytes arrived within 60 s`)), 60_000);
      socket.once('close', () => {
        clearInterval(sampler);
        clearTimeout(deadline);
        resolve();
      });
      socket.once('error', reject);
    });
    expect(received).toBeGreaterThan(200 * 1024 * 1024);
    // Buffer churn and the young generation cost up to ~40 MiB here with back-pressure (on the old engine too); without it most of the 200 MiB would pile up.
    expect(peak - before, `daemon RSS went from ${before.toFixed(0)} MiB to a peak of ${peak.toFixed(0)} MiB`).toBeLessThan(80);
  });
  it('keeps its upstream connection when a client leaves before a short answer, instead of opening one per departed client', async () => {
    let accepted = 0;
    let slowSeen = 0;
    let answered: () => void = () => {};
    const port = await backend((req, res) => {
      if (req.url !== '/slow') return void res.end('ok');
      slowSeen++;
      res.once('close', () => answered());
      setTimeout(() => res.end('slow answer'), 100);
    }, () => accepted++);
    const url = await startProxy(liveSnapshot(port));
    expect((await request(`${url}/`)).status).toBe(200);
    for (let round = 0; round < 20; round++) {
      const finished = new Promise<void>((resolve) => (answered = resolve));
      const gone = http.get(`${url}/slow`, { agent: false });
      gone.on('error', () => {});
      // The request reached the instance: the client leaves before its answer.
      await eventually(() => expect(slowSeen).toBe(round + 1));
      gone.destroy();
      await finished;
      expect((await request(`${url}/`)).status).toBe(200);
    }
    // Before: every departed client's upstream connection was destroyed, so each round opened a new one (21).
    expect(accepted).toBeLessThanOrEqual(3);
  });

  it('still closes the upstream connection of a departed client whose answer never ends', async () => {
    let closed = false;
    let started = false;
    const port = await backend((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      started = true;
      const timer = setInterval(() => res.write('data: tick\n\n'), 20);
      res.once('close', () => {
        clearInterval(timer);
        closed = true;
      });
    });
    const url = await startProxy(liveSnapshot(port));
    const gone = http.get(`${url}/events`, { agent: false });
    gone.on('error', () => {});
    await eventually(() => expect(started).toBe(true));
    gone.destroy();
    await eventually(() => expect(closed).toBe(true), 10_000);
  });
});
