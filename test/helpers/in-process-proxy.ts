// A real ProxyServer in the test process, slot a live on one real backend that counts how many requests it works on at once.
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import { onTestFinished } from 'vitest';
import { ProxyServer } from '../../src/proxy/proxy-server.js';
import { buildManifestView, buildSlotView, type RoutingSnapshot } from '../../src/proxy/routing-snapshot.js';
import { DEFAULT_UPSTREAM_TIMEOUTS, Upstream } from '../../src/proxy/upstream.js';

/** A backend that answers after `delayMs` (or ?ms=) and records how many requests it worked on at once. */
export async function countingBackend(delayMs: number): Promise<{ port: number; maxConcurrent: () => number; resetMaxConcurrent: () => void; served: () => number }> {
  let now = 0;
  let max = 0;
  let served = 0;
  const server = http.createServer((req, res) => {
    now++;
    max = Math.max(max, now);
    const ms = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('ms') ?? delayMs);
    setTimeout(() => {
      now--;
      served++;
      res.end(req.url);
    }, ms);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve()).closeAllConnections()));
  return { port: (server.address() as net.AddressInfo).port, maxConcurrent: () => max, resetMaxConcurrent: () => void (max = now), served: () => served };
}

export interface InProcessProxyOptions {
  /** proxy.maxActiveRequests; 0 (the default here): no admission gate. */
  maxActiveRequests?: number;
  /** The live release's version (slot a). */
  version?: string;
  /** Also an HTTPS listener with this certificate. */
  tls?: { cert: string; key: string };
}

/** `backendPort`: the instance of live slot a. */
export async function inProcessProxy(backendPort: number, options: InProcessProxyOptions = {}): Promise<{ url: string; port: number; proxy: ProxyServer; upstream: Upstream; tlsPort?: number }> {
  const { maxActiveRequests = 0, version = '1.0.0', tls } = options;
  const upstream = new Upstream('a', 0, backendPort, undefined, DEFAULT_UPSTREAM_TIMEOUTS);
  onTestFinished(() => upstream.destroy());
  const a = buildSlotView({ name: 'a', state: 'live', version, minCompatibleVersion: '1.0.0', upstreams: [upstream] }, '/_slots');
  const b = buildSlotView({ name: 'b', state: 'empty', version: null, minCompatibleVersion: null, upstreams: [] }, '/_slots');
  const manifest = { app: 'x', version, minCompatibleVersion: '1.0.0', webApiUrl: '', slot: 'a' as const, deployment_urls: { web_api: '' }, updatedAt: '', notice: null };
  const snapshot: RoutingSnapshot = { live: a, slots: { a, b }, manifest: buildManifestView(manifest) };
  const settings = { manifestPath: '/AppRun.json', slotPathPrefix: '/_slots', upgradeStatus: 426, manifestUrl: 'http://x/AppRun.json' };
  const proxy = new ProxyServer(settings, 'x-app-version', snapshot, { timeoutMs: 10_000, maxQueued: 100 }, { keepAliveTimeoutMs: 30_000, headersTimeoutMs: 31_000, maxActiveRequests });
  await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => proxy.close(1_000, () => 0));
  let tlsPort: number | undefined;
  if (tls) {
    const server = https.createServer({ cert: tls.cert, key: tls.key });
    proxy.attachTo(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve()).closeAllConnections()));
    tlsPort = (server.address() as net.AddressInfo).port;
  }
  const port = (proxy.server.address() as net.AddressInfo).port;
  return { url: `http://127.0.0.1:${port}`, port, proxy, upstream, tlsPort };
}
