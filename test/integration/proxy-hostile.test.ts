// Hostile and unusual request shapes at the public proxy, and the queue/retry paths of the real ProxyServer.
import http from 'node:http';
import net from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startDaemon, type TestDaemon } from '../helpers/test-daemon.js';
import { request } from '../helpers/http-client.js';
import { rawExchange } from '../helpers/raw-http.js';
import { eventually } from '../helpers/eventually.js';
import { ProxyServer } from '../../src/proxy/proxy-server.js';
import { buildManifestView, buildSlotView, type RoutingSnapshot, type SlotView } from '../../src/proxy/routing-snapshot.js';
import { Upstream } from '../../src/proxy/upstream.js';
import type { SlotState } from '../../src/state/slot-states.js';

/** The status line and the JSON body (if any) of a raw exchange. */
function parse(answer: string): { status: string; body: Record<string, unknown> | null } {
  const end = answer.indexOf('\r\n\r\n');
  const text = end === -1 ? '' : answer.slice(end + 4);
  let body: Record<string, unknown> | null = null;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = null;
  }
  return { status: answer.split('\r\n')[0]!, body };
}

async function liveStillServes(d: TestDaemon): Promise<number> {
  return (await request(`${d.proxyUrl}/`)).status;
}

describe('the proxy, given unusual request shapes', () => {
  it('answers every non-WebSocket Upgrade, CONNECT, absolute-form target and doubled Host, and the live slot serves after each', async () => {
    const d = await startDaemon();
    const port = Number(new URL(d.proxyUrl).port);
    const cases: { name: string; payload: string; check: (status: string, body: Record<string, unknown> | null) => unknown }[] = [
      {
        name: 'Upgrade: h2c (curl --http2) is served as HTTP/1.1, without the upgrade headers upstream',
        payload: 'GET /headers HTTP/1.1\r\nHost: t\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\nConnection: close\r\n\r\n',
        check: (status, body) => {
          const headers = (body?.headers ?? {}) as Record<string, string>;
          return [status, headers.upgrade ?? null, headers['http2-settings'] ?? null, /upgrade/i.test(headers.connection ?? '')];
        },
      },
      {
        name: 'Upgrade: foo on a POST forwards the body like any request',
        payload: 'POST /echo HTTP/1.1\r\nHost: t\r\nConnection: upgrade, close\r\nUpgrade: foo\r\nContent-Length: 5\r\n\r\nhello',
        check: (status, body) => [status, body?.body ?? body],
      },
      {
        name: 'CONNECT gets a 405 JSON answer',
        payload: 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n',
        check: (status, body) => [status, body?.error],
      },
      {
        name: 'an absolute-form manifest request is answered by the proxy',
        payload: 'GET http://t/AppRun.json HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n',
        check: (status, body) => [status, body?.version],
      },
      {
        name: 'an absolute-form slot address reaches that slot with the prefix stripped',
        payload: 'GET http://t/_slots/a/headers HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n',
        check: (status, body) => [status, body?.url, (body?.headers as Record<string, string> | undefined)?.['x-forwarded-prefix']],
      },
      {
        name: 'two Host headers get 400',
        payload: 'GET / HTTP/1.1\r\nHost: a.test\r\nHost: b.test\r\nConnection: close\r\n\r\n',
        check: (status, body) => [status, body?.error],
      },
    ];
    const seen: Record<string, unknown> = {};
    for (const c of cases) {
      const { status, body } = parse(await rawExchange(port, c.payload, 5_000));
      seen[c.name] = { answer: c.check(status, body), liveAfter: await liveStillServes(d) };
    }
    expect(seen).toEqual({
      [cases[0]!.name]: { answer: ['HTTP/1.1 200 OK', null, null, false], liveAfter: 200 },
      [cases[1]!.name]: { answer: ['HTTP/1.1 200 OK', 'hello'], liveAfter: 200 },
      [cases[2]!.name]: { answer: ['HTTP/1.1 405 Method Not Allowed', 'method_not_allowed'], liveAfter: 200 },
      [cases[3]!.name]: { answer: ['HTTP/1.1 200 OK', '1.0.0'], liveAfter: 200 },
      [cases[4]!.name]: { answer: ['HTTP/1.1 200 OK', '/headers', '/_slots/a'], liveAfter: 200 },
      [cases[5]!.name]: { answer: ['HTTP/1.1 400 Bad Request', 'bad_request'], liveAfter: 200 },
    });
  });
});

describe('the proxy, given requests that speak for themselves', () => {
  it('drops what a client says of its own address beyond X-Forwarded-*, and the headers its Connection lists, but never the address it sets', async () => {
    const d = await startDaemon();
    const port = Number(new URL(d.proxyUrl).port);
    const payload = [
      'GET /headers HTTP/1.1',
      'Host: t',
      'Forwarded: for=6.6.6.6;proto=https;host=evil',
      'X-Real-IP: 6.6.6.6',
      'X_Forwarded_For: 6.6.6.6',
      'X-Forwarded-Ssl: on',
      'True-Client-IP: 6.6.6.6',
      // What Rack, Rails, IIS and Symfony read as a front proxy's word on the scheme, the client and the path.
      'X-Forwarded-Scheme: https',
      'Front-End-Https: on',
      'Client-IP: 6.6.6.6',
      'CF-Connecting-IP: 6.6.6.6',
      'X-Original-URL: /admin',
      'X-Rewrite-URL: /admin',
      'X_Forwarded_Scheme: https',
      'X-Secret: s',
      'X-Kept: k',
      'Connection: close, X-Secret, X-Forwarded-For',
      '',
      '',
    ].join('\r\n');
    const { status, body } = parse(await rawExchange(port, payload, 5_000));
    const h = (body?.headers ?? {}) as Record<string, string>;
    const dropped = ['forwarded', 'x-real-ip', 'x_forwarded_for', 'x-forwarded-ssl', 'true-client-ip', 'x-forwarded-scheme', 'front-end-https', 'client-ip', 'cf-connecting-ip', 'x-original-url', 'x-rewrite-url', 'x_forwarded_scheme', 'x-secret'].filter((name) => h[name] !== undefined);
    expect({ status, dropped, kept: h['x-kept'], forwardedFor: h['x-forwarded-for'] }, JSON.stringify(h)).toEqual({ status: 'HTTP/1.1 200 OK', dropped: [], kept: 'k', forwardedFor: '127.0.0.1' });
  });

  it('answers OPTIONS * itself, refuses another asterisk or a missing Host with JSON, and counts none of them against the slot', async () => {
    const d = await startDaemon();
    const port = Number(new URL(d.proxyUrl).port);
    const options = await rawExchange(port, 'OPTIONS * HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n', 5_000);
    const asterisk = parse(await rawExchange(port, 'GET * HTTP/1.1\r\nHost: t\r\n\r\n', 5_000));
    const noHost = parse(await rawExchange(port, 'GET / HTTP/1.1\r\n\r\n', 5_000));
    const http10 = parse(await rawExchange(port, 'GET / HTTP/1.0\r\n\r\n', 5_000));
    expect({
      options: [options.split('\r\n')[0], /\r\nallow: GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS\r\n/i.test(options)],
      asterisk: [asterisk.status, asterisk.body?.error],
      noHost: [noHost.status, noHost.body?.error, String(noHost.body?.message).includes('expected a Host header')],
      http10: [http10.status, http10.body?.version],
    }).toEqual({
      options: ['HTTP/1.1 204 No Content', true],
      asterisk: ['HTTP/1.1 400 Bad Request', 'bad_request'],
      noHost: ['HTTP/1.1 400 Bad Request', 'bad_request', true],
      http10: ['HTTP/1.1 200 OK', '1.0.0'],
    });
    const metrics = await request(`${d.adminUrl}/metrics`, { headers: { authorization: `Bearer ${d.token}` } });
    expect(metrics.body).not.toMatch(/slotswap_(requests|slot_answers)_total\{slot="a"[^}]*status_class="5xx"\} [1-9]/);
    expect(await liveStillServes(d)).toBe(200);
  });

  it('treats a hand-on mark or bypass value with a byte beyond ASCII as a wrong one, plain or WebSocket, and keeps serving', async () => {
    const d = await startDaemon();
    const port = Number(new URL(d.proxyUrl).port);
    // 64 characters as Node reads them (latin1), 65 bytes in UTF-8: the length check passed and the comparison threw.
    const accented = `\xe9${'a'.repeat(63)}`;
    const send = (head: string) => rawExchange(port, Buffer.from(head, 'latin1'));
    const handedOn = await send(`GET / HTTP/1.1\r\nHost: t\r\nX-Slotswap-Handed-On: ${accented} 1\r\nConnection: close\r\n\r\n`);
    expect(parse(handedOn).status).toBe('HTTP/1.1 200 OK');
    expect((await d.api('PUT', '/api/maintenance', { message: 'back soon' })).status).toBe(200);
    const cookie = await send(`GET / HTTP/1.1\r\nHost: t\r\nCookie: slotswap_bypass=${accented}\r\nConnection: close\r\n\r\n`);
    const upgrade = await send(`GET /ws HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nX-Slotswap-Bypass: ${accented}\r\n\r\n`);
    expect([parse(cookie).status, upgrade.split('\r\n')[0]]).toEqual(['HTTP/1.1 503 Service Unavailable', 'HTTP/1.1 503 Service Unavailable']);
    expect((await d.api('DELETE', '/api/maintenance')).status).toBe(200);
    expect(await liveStillServes(d)).toBe(200);
    expect(d.output()).not.toMatch(/RangeError|failed inside the proxy/);
  });

  it('opens a WebSocket whose Upgrade lists websocket among other tokens, as it routed it', async () => {
    const d = await startDaemon();
    const port = Number(new URL(d.proxyUrl).port);
    const answer = await rawExchange(port, 'GET /ws HTTP/1.1\r\nHost: t\r\nUpgrade: websocket, foo\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n', 2_000);
    expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 101 Switching Protocols');
  });

  it('answers a WebSocket upgrade of the manifest with a 400, not a 503', async () => {
    const d = await startDaemon();
    const port = Number(new URL(d.proxyUrl).port);
    const { status, body } = parse(await rawExchange(port, 'GET /AppRun.json HTTP/1.1\r\nHost: t\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n', 5_000));
    expect([status, body?.error]).toEqual(['HTTP/1.1 400 Bad Request', 'bad_request']);
  });
});

// ---- The real ProxyServer on hand-built snapshots: parked requests, time-outs and retries, without a daemon.

interface Backend {
  port: number;
  close: () => Promise<void>;
}

/** A tiny upstream that answers who it is and the URL it saw. */
async function backend(name: string, port = 0): Promise<Backend> {
  const server = http.createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ slot: name, url: req.url }));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const close = () => new Promise<void>((resolve) => server.close(() => resolve()).closeAllConnections());
  onTestFinished(close);
  return { port: (server.address() as net.AddressInfo).port, close };
}

/** A port nothing listens on (connections are refused). */
async function deadPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function view(name: 'a' | 'b', state: SlotState, version: string, ports: number[]): SlotView {
  const upstreams = ports.map((port, index) => new Upstream(name, index, port, undefined));
  onTestFinished(() => upstreams.forEach((up) => up.destroy()));
  return buildSlotView({ name, state, version, minCompatibleVersion: '1.0.0', upstreams }, '/_slots');
}

function snapshot(a: SlotView, b: SlotView, live: 'a' | 'b'): RoutingSnapshot {
  const slots = { a, b };
  const manifest = { app: 'x', version: slots[live].version!, minCompatibleVersion: '1.0.0', webApiUrl: '', slot: live, deployment_urls: { web_api: '' }, updatedAt: '', notice: null };
  return { live: slots[live], slots, manifest: buildManifestView(manifest) };
}

async function startProxy(first: RoutingSnapshot, holdTimeoutMs: number): Promise<{ proxy: ProxyServer; url: string }> {
  const settings = { manifestPath: '/AppRun.json', slotPathPrefix: '/_slots', upgradeStatus: 426, manifestUrl: 'http://x/AppRun.json' };
  const proxy = new ProxyServer(settings, 'x-app-version', first, { timeoutMs: holdTimeoutMs, maxQueued: 100 }, { keepAliveTimeoutMs: 5_000, headersTimeoutMs: 5_000 });
  await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => proxy.close(1_000, () => 0));
  return { proxy, url: `http://127.0.0.1:${(proxy.server.address() as net.AddressInfo).port}` };
}

describe('the proxy, parked requests and retries', () => {
  it('serves live traffic at once while a request for a draining slot whose instance crashed waits, and counts its time-out once', async () => {
    const b = await backend('b');
    const a = view('a', 'draining', '1.0.0', [await deadPort()]);
    const { proxy, url } = await startProxy(snapshot(a, view('b', 'live', '1.1.0', [b.port]), 'b'), 3_000);
    const parked = request(`${url}/_slots/a/x`);
    await eventually(() => expect(proxy.holdStats().queued).toBe(1));
    // What the daemon does when an instance exits: its upstream is destroyed and a new snapshot published.
    a.upstreams[0]!.destroy();
    proxy.publish(snapshot(a, proxy.snapshot.slots.b, 'b'));
    const started = Date.now();
    const live = await request(`${url}/`);
    const liveMs = Date.now() - started;
    expect({ status: live.status, fastEnough: liveMs < 1_000 }).toEqual({ status: 200, fastEnough: true });
    expect((await parked).status).toBe(503);
  });

  it('counts a parked request that timed out once, as the proxy\'s 503, not also as a 5xx of its slot', async () => {
    const a = view('a', 'live', '1.0.0', [await deadPort()]);
    const { proxy, url } = await startProxy(snapshot(a, view('b', 'empty', '1.0.0', []), 'a'), 1_000);
    const parked = request(`${url}/x`);
    await eventually(() => expect(proxy.holdStats().queued).toBe(1));
    a.upstreams[0]!.destroy();
    expect((await parked).status).toBe(503);
    await eventually(() => expect({ proxy5xx: proxy.statusCounts.proxy[5], a5xx: proxy.statusCounts.a[5], timedOut: proxy.holdStats().timedOutTotal }).toEqual({ proxy5xx: 1, a5xx: 0, timedOut: 1 }));
  });

  it('forwards a parked request once its instance is back, with no new snapshot published', async () => {
    const port = await deadPort();
    const b = await backend('b');
    const { proxy, url } = await startProxy(snapshot(view('a', 'draining', '1.0.0', [port]), view('b', 'live', '1.1.0', [b.port]), 'b'), 5_000);
    const parked = request(`${url}/_slots/a/x`);
    await eventually(() => expect(proxy.holdStats().queued).toBe(1));
    // The instance listens again; nothing is published, so only the queue's own sweep can notice.
    await backend('a', port);
    const answer = await parked;
    expect({ status: answer.status, body: answer.body }).toEqual({ status: 200, body: JSON.stringify({ slot: 'a', url: '/x' }) });
  });

  it('re-routes a parked request that was told an upgrade is available to the new live slot after a flip', async () => {
    const b = await backend('b');
    const dead = await deadPort();
    const before = snapshot(view('a', 'live', '1.4.0', [dead]), view('b', 'empty', '1.0.0', []), 'a');
    const { proxy, url } = await startProxy(before, 5_000);
    const parked = request(`${url}/x`, { headers: { 'x-app-version': '1.3.0' } });
    await eventually(() => expect(proxy.holdStats().queued).toBe(1));
    proxy.publish(snapshot(view('a', 'stopped', '1.4.0', []), view('b', 'live', '1.5.0', [b.port]), 'b'));
    const answer = await parked;
    expect({ status: answer.status, body: answer.body, slot: answer.headers['x-served-by-slot'], upgrade: answer.headers['x-upgrade-available'] }).toEqual({
      status: 200,
      body: JSON.stringify({ slot: 'b', url: '/x' }),
      slot: 'b',
      upgrade: '1.5.0',
    });
  });

  it('sends a parked request addressed to a slot that has since stopped to the live slot, as the router does for first tries', async () => {
    const b = await backend('b');
    const { proxy, url } = await startProxy(snapshot(view('a', 'draining', '1.0.0', [await deadPort()]), view('b', 'live', '1.1.0', [b.port]), 'b'), 5_000);
    const parked = request(`${url}/_slots/a/x`);
    await eventually(() => expect(proxy.holdStats().queued).toBe(1));
    proxy.publish(snapshot(view('a', 'stopped', '1.0.0', []), view('b', 'live', '1.1.0', [b.port]), 'b'));
    const answer = await parked;
    expect({ status: answer.status, body: answer.body }).toEqual({ status: 200, body: JSON.stringify({ slot: 'b', url: '/x' }) });
  });
});

describe('the proxy, given a WebSocket the instance will not take', () => {
  it('serves 20 non-WebSocket Upgrades in a row on one connection with one error listener of its own on the socket', async () => {
    const b = await backend('b');
    const { proxy, url } = await startProxy(snapshot(view('a', 'empty', '1.0.0', []), view('b', 'live', '1.0.0', [b.port]), 'b'), 3_000);
    const accepted: net.Socket[] = [];
    proxy.server.on('connection', (socket: net.Socket) => accepted.push(socket));
    const client = net.connect(Number(new URL(url).port), '127.0.0.1');
    onTestFinished(() => void client.destroy());
    let received = '';
    client.on('data', (c: Buffer) => (received += c.toString('latin1')));
    for (let i = 1; i <= 20; i++) {
      client.write(`GET /n${i} HTTP/1.1\r\nHost: t\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n`);
      await eventually(() => expect(received.split('HTTP/1.1 200').length - 1).toBe(i));
    }
    // Every answer came on the one connection; the server saw that socket once as accepted and again at each fallback.
    expect(new Set(accepted).size).toBe(1);
    expect(accepted[0]!.listenerCount('error')).toBeLessThanOrEqual(2);
  });

  it('answers a JSON 502 when the instance closes the upgrade without a word, instead of closing the socket', async () => {
    // An instance that drops every connection as soon as the request arrives.
    const dropper = net.createServer((socket) => socket.once('data', () => socket.destroy()));
    await new Promise<void>((resolve) => dropper.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => new Promise<void>((resolve) => dropper.close(() => resolve())));
    const a = view('a', 'live', '1.0.0', [(dropper.address() as net.AddressInfo).port]);
    const { url } = await startProxy(snapshot(a, view('b', 'empty', '1.0.0', []), 'a'), 1_000);
    const answer = parse(await rawExchange(Number(new URL(url).port), 'GET /ws HTTP/1.1\r\nHost: t\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n', 5_000));
    expect([answer.status, answer.body?.error]).toEqual(['HTTP/1.1 502 Bad Gateway', 'bad_gateway']);
  });
});
