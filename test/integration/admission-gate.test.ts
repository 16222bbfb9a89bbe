// proxy.maxActiveRequests: past the limit a keep-alive connection is not read until a place frees up, so the backend
// never works on more than the limit at once; places expire, so long requests and idle clients never wedge the proxy.
import http from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { countingBackend, inProcessProxy } from '../helpers/in-process-proxy.js';
import { eventually } from '../helpers/eventually.js';
import { httpsLoad, makeCa, makeSignedCertificate } from '../helpers/tls-client.js';

/** One GET on a given agent; resolves with status and body. */
function get(url: string, agent: http.Agent): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent, timeout: 15_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
  });
}

function keepAliveAgent(): http.Agent {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  onTestFinished(() => agent.destroy());
  return agent;
}

describe('the proxy with proxy.maxActiveRequests', () => {
  it('answers 40 keep-alive clients of 25 requests each while the backend never works on more than 4 at once', async () => {
    const backend = await countingBackend(3);
    const { url, proxy } = await inProcessProxy(backend.port, { maxActiveRequests: 4 });
    const statuses: number[] = [];
    await Promise.all(
      Array.from({ length: 40 }, async (_, c) => {
        const agent = keepAliveAgent();
        for (let i = 0; i < 25; i++) statuses.push((await get(`${url}/c${c}/r${i}`, agent)).status);
      }),
    );
    const stats = proxy.admissionStats()!;
    expect({ answered: statuses.length, ok: statuses.filter((s) => s === 200).length, served: backend.served() }).toEqual({ answered: 1000, ok: 1000, served: 1000 });
    expect(backend.maxConcurrent()).toBeLessThanOrEqual(4);
    expect(stats.waits).toBeGreaterThan(0);
    // The clients now sit idle on their kept-alive connections: the gate lets each in again and drops its place.
    await eventually(() => expect(proxy.admissionStats()).toMatchObject({ admitted: 0, waitingConnections: 0 }));
  });

  it('does not let two long requests starve the others: quick ones are answered while the long ones still run', async () => {
    const backend = await countingBackend(1);
    const { url } = await inProcessProxy(backend.port, { maxActiveRequests: 2 });
    const order: string[] = [];
    const slow = [0, 1].map((i) => get(`${url}/slow${i}?ms=6000`, keepAliveAgent()).then((r) => void order.push(`slow ${r.status}`)));
    // Both places are taken once the backend works on both long requests.
    for (let i = 0; i < 200 && backend.maxConcurrent() < 2; i++) await new Promise((r) => setTimeout(r, 10));
    expect(backend.maxConcurrent()).toBe(2);
    const quick = Array.from({ length: 10 }, (_, i) => get(`${url}/quick${i}`, keepAliveAgent()).then((r) => void order.push(`quick ${r.status}`)));
    await Promise.all([...slow, ...quick]);
    expect(order).toEqual([...Array(10).fill('quick 200'), 'slow 200', 'slow 200']);
  });

  it('gives back the places of clients let in again that then stay idle: a new client is answered', async () => {
    const backend = await countingBackend(20);
    const { url, proxy } = await inProcessProxy(backend.port, { maxActiveRequests: 2 });
    // 12 clients at once: most wait, are let in, answered, and then send nothing more on their kept-alive connection.
    const agents = Array.from({ length: 12 }, () => keepAliveAgent());
    const first = await Promise.all(agents.map((agent, i) => get(`${url}/first${i}`, agent)));
    expect(first.every((r) => r.status === 200)).toBe(true);
    expect(proxy.admissionStats()!.waits).toBeGreaterThan(0);
    const later = await get(`${url}/later`, keepAliveAgent());
    expect(later).toEqual({ status: 200, body: '/later' });
  });

  it('gives out fewer places while its event loop is the bottleneck, and all of them again while the instance is slow', async () => {
    const backend = await countingBackend(0);
    const { url, proxy } = await inProcessProxy(backend.port, { maxActiveRequests: 256 });
    expect(proxy.admissionStats()!.places).toBe(256);
    // 300 keep-alive clients on an instance that answers at once: this process's one loop is busy the whole time.
    const agents = Array.from({ length: 300 }, () => keepAliveAgent());
    let busyUntil = Date.now() + 10_000;
    const busy = agents.map(async (agent, c) => {
      for (let i = 0; Date.now() < busyUntil; i++) expect((await get(`${url}/c${c}/r${i}`, agent)).status).toBe(200);
    });
    await eventually(() => expect(proxy.admissionStats()!.places).toBe(32), 9_000);
    busyUntil = 0;
    await Promise.all(busy);
    backend.resetMaxConcurrent();
    // The same clients on requests the instance takes 400 ms over: the loop waits, and so do the connections past 32.
    const slow = await Promise.all(agents.map((agent, c) => get(`${url}/slow${c}?ms=400`, agent)));
    expect(slow.every((r) => r.status === 200)).toBe(true);
    expect(proxy.admissionStats()!.places).toBe(256);
    // More than the 32 places it had were worked on at once: the slow instance got the concurrency it needs.
    expect(backend.maxConcurrent()).toBeGreaterThan(100);
  });

  it('answers HTTPS keep-alive clients past the limit too: 12 clients of 20 requests each through 2 places, none lost', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'slotswap-gate-tls-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const ca = await makeCa(dir);
    const pair = await makeSignedCertificate(dir, 'proxy', ca);
    const backend = await countingBackend(2);
    const { proxy, tlsPort } = await inProcessProxy(backend.port, { maxActiveRequests: 2, tls: { cert: pair.pem, key: await readFile(pair.keyFile, 'utf8') } });
    const load = httpsLoad(tlsPort!, [ca.pem], 'localhost', 12, () => false, 30_000, 20);
    expect(await load.done).toEqual([]);
    expect(load.answered()).toBe(240);
    expect(backend.served()).toBe(240);
    expect(proxy.admissionStats()!.waits).toBeGreaterThan(0);
  });
});
