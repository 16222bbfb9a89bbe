// The slot's own headers on a forwarded answer (X-Served-By-Slot, X-App-Version...) are the proxy's word: added once,
// beside the instance's own headers, never replaced by an instance that sends the same names.
import http from 'node:http';
import net from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { inProcessProxy } from '../helpers/in-process-proxy.js';
import { request } from '../helpers/http-client.js';

async function backend(handler: http.RequestListener): Promise<number> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve()).closeAllConnections()));
  return (server.address() as net.AddressInfo).port;
}

async function proxyInFront(port: number): Promise<string> {
  return (await inProcessProxy(port, { version: '1.2.0' })).url;
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
