// HTTP/1.1 pipelining at the proxy: a connection's requests are worked on one at a time, in order, so one client can
// neither open a backend request per pipelined request nor lose an answer to an upgrade sent behind them.
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { PROXY_MAX_PIPELINED_REQUESTS } from '../../src/defaults.js';
import { countingBackend, inProcessProxy } from '../helpers/in-process-proxy.js';
import { rawExchange } from '../helpers/raw-http.js';
import { eventually } from '../helpers/eventually.js';

/** The status code and body of each answer in a raw exchange of Content-Length answers, in order. */
function answers(raw: string): { status: number; body: string }[] {
  const out: { status: number; body: string }[] = [];
  let rest = raw;
  for (;;) {
    const end = rest.indexOf('\r\n\r\n');
    if (!rest.startsWith('HTTP/1.1 ') || end === -1) return out;
    const head = rest.slice(0, end);
    const length = Number(/\r\ncontent-length: (\d+)/i.exec(head)?.[1] ?? 0);
    out.push({ status: Number(head.slice(9, 12)), body: rest.slice(end + 4, end + 4 + length) });
    rest = rest.slice(end + 4 + length);
  }
}

const get = (path: string, extra = ''): string => `GET ${path} HTTP/1.1\r\nHost: t\r\n${extra}\r\n`;

describe('the proxy, given pipelined requests', () => {
  for (const maxActiveRequests of [256, 0]) {
    it(`answers 20 requests sent in one write in order while the backend works on one of them at a time (maxActiveRequests ${maxActiveRequests})`, async () => {
      const backend = await countingBackend(5);
      const { port } = await inProcessProxy(backend.port, { maxActiveRequests });
      const payload = Array.from({ length: 20 }, (_, i) => get(`/p${i}`, i === 19 ? 'Connection: close\r\n' : '')).join('');
      const got = answers(await rawExchange(port, payload));
      expect(got).toEqual(Array.from({ length: 20 }, (_, i) => ({ status: 200, body: `/p${i}` })));
      expect(backend.maxConcurrent()).toBe(1);
    });
  }

  it(`closes a connection that sends more than ${PROXY_MAX_PIPELINED_REQUESTS} requests ahead of its answers, and answers the next client`, async () => {
    const backend = await countingBackend(50);
    const { port, upstream } = await inProcessProxy(backend.port, { maxActiveRequests: 256 });
    const ended = await rawExchange(port, Array.from({ length: 200 }, (_, i) => get(`/flood${i}`)).join(''));
    expect(answers(ended).length).toBeLessThanOrEqual(1);
    expect(backend.maxConcurrent()).toBeLessThanOrEqual(1);
    expect(backend.served()).toBeLessThanOrEqual(1);
    expect(answers(await rawExchange(port, get('/next', 'Connection: close\r\n')))).toEqual([{ status: 200, body: '/next' }]);
    await eventually(() => expect(upstream.inFlight).toBe(0));
  });

  it('answers an Upgrade that is no WebSocket, pipelined behind a plain request, after it, and leaves nothing in flight', async () => {
    const backend = await countingBackend(30);
    const { port, upstream } = await inProcessProxy(backend.port, { maxActiveRequests: 256 });
    const payload = get('/first') + get('/second', 'Upgrade: foo\r\nConnection: Upgrade, close\r\n');
    expect(answers(await rawExchange(port, payload))).toEqual([
      { status: 200, body: '/first' },
      { status: 200, body: '/second' },
    ]);
    await eventually(() => expect(upstream.inFlight).toBe(0));
  });

  it('reads the next request of a kept-alive connection once its pipelined ones are answered', async () => {
    const backend = await countingBackend(2);
    const { port } = await inProcessProxy(backend.port, { maxActiveRequests: 2 });
    const socket = net.connect(port, '127.0.0.1');
    let raw = '';
    socket.on('data', (c: Buffer) => (raw += c.toString()));
    socket.write(get('/a') + get('/b') + get('/c'));
    await eventually(() => expect(answers(raw).length).toBe(3));
    socket.write(get('/d', 'Connection: close\r\n'));
    await new Promise((resolve) => socket.on('close', resolve));
    expect(answers(raw).map((a) => a.body)).toEqual(['/a', '/b', '/c', '/d']);
  });
});
