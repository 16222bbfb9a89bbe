// The slot's own headers on a forwarded answer (X-Served-By-Slot, X-App-Version...) are the proxy's word: added once,
// beside the instance's own headers, never replaced by an instance that sends the same names.
import http from 'node:http';
import net from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { ProxyServer } from '../../src/proxy/proxy-server.js';
import { buildManifestView, buildSlotView, type RoutingSnapshot } from '../../src/proxy/routing-snapshot.js';
import { DEFAULT_UPSTREAM_TIMEOUTS, Upstream } from '../../src/proxy/upstream.js';
import { request } from '../helpers/http-client.js';

async function backend(handler: http.RequestListener): Promise<number> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve()).closeAllConnections()));
  return (server.address() as net.AddressInfo).port;
}

async function proxyInFront(port: number): Promise<string> {
  const upstream = new Upstream('a', 0, port, undefined, DEFAULT_UPSTREAM_TIMEOUTS);
  onTestFinished(() => upstream.destroy());
  const a = buildSlotView({ name: 'a', state: 'live', version: '1.2.0', minCompatibleVersion: '1.0.0', upstreams: [upstream] }, '/_slots');
  const b = buildSlotView({ name: 'b', state: 'empty', version: null, minCompatibleVersion: null, upstreams: [] }, '/_slots');
  const manifest = { app: 'x', version: '1.2.0', minCompatibleVersion: '1.0.0', webApiUrl: '', slot: 'a' as const, deployment_urls: { web_api: '' }, updatedAt: '', notice: null };
  const snapshot: RoutingSnapshot = { live: a, slots: { a, b }, manifest: buildManifestView(manifest) };
  const settings = { manifestPath: '/AppRun.json', slotPathPrefix: '/_slots', upgradeStatus: 426, manifestUrl: 'http://x/AppRun.json' };
  const proxy = new ProxyServer(settings, 'x-app-version', snapshot, { timeoutMs: 2_000, maxQueued: 100 }, { keepAliveTimeoutMs: 5_000, headersTimeoutMs: 5_000 });
  await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => proxy.close(1_000, () => 0));
  return `http://127.0.0.1:${(proxy.server.address() as net.AddressInfo).port}`;
}

/** The values of one header as they came on the wire (duplicates kept). */
function wireValues(rawHeaders: string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) if (rawHeaders[i]!.toLowerCase() === name) out.push(rawHeaders[i + 1]!);
  return out;
}

function rawRequest(url: string, headers: Record<string, string> = {}): Promise<{ status: number; rawHeaders: string[] }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, headers, timeout: 5_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, rawHeaders: res.rawHeaders }));
    });
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
  });
}

describe('the slot headers on a forwarded answer', () => {
  it('are the slot\'s, once each, even when the instance sends the same names, and the instance\'s other headers pass', async () => {
    const port = await backend((_req, res) => {
      res.writeHead(200, { 'X-Served-By-Slot': 'forged', 'x-app-version': '9.9.9', 'X-Custom': 'kept', 'content-type': 'text/plain' });
      res.end('hello');
    });
    const url = await proxyInFront(port);
    const answer = await rawRequest(`${url}/`);
    expect({
      status: answer.status,
      slot: wireValues(answer.rawHeaders, 'x-served-by-slot'),
      version: wireValues(answer.rawHeaders, 'x-app-version'),
      minimum: wireValues(answer.rawHeaders, 'x-app-min-compatible-version'),
      custom: wireValues(answer.rawHeaders, 'x-custom'),
    }).toEqual({ status: 200, slot: ['a'], version: ['1.2.0'], minimum: ['1.0.0'], custom: ['kept'] });
  });

  it('tell a client on an older version which one is live (X-Upgrade-Available), and only that client', async () => {
    const port = await backend((_req, res) => res.end('hello'));
    const url = await proxyInFront(port);
    const older = await rawRequest(`${url}/`, { 'x-app-version': '1.1.0' });
    const current = await request(`${url}/`, { headers: { 'x-app-version': '1.2.0' } });
    expect({ older: wireValues(older.rawHeaders, 'x-upgrade-available'), current: current.headers['x-upgrade-available'] ?? null }).toEqual({ older: ['1.2.0'], current: null });
  });
});
