import net from 'node:net';
import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { startDaemon, type TestDaemon } from '../helpers/test-daemon.js';
import { request } from '../helpers/http-client.js';
import { failures, startLoad } from '../helpers/load.js';
import { eventually } from '../helpers/eventually.js';
import { rawExchange } from '../helpers/raw-http.js';

/** Sends raw HTTP/1.1 requests one after another over a single socket; returns each response's head. */
async function overOneSocket(port: number, paths: string[]): Promise<string[]> {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise((resolve) => socket.once('connect', resolve));
  const heads: string[] = [];
  let buffered = '';
  for (const p of paths) {
    socket.write(`GET ${p} HTTP/1.1\r\nHost: test\r\n\r\n`);
    const head = await new Promise<string>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        buffered += chunk.toString();
        const end = buffered.indexOf('\r\n\r\n');
        if (end === -1) return;
        const length = Number(/content-length: (\d+)/i.exec(buffered)?.[1] ?? 0);
        if (buffered.length < end + 4 + length) return;
        socket.off('data', onData);
        const head = buffered.slice(0, end);
        buffered = buffered.slice(end + 4 + length);
        resolve(head);
      };
      socket.on('data', onData);
      socket.once('close', () => reject(new Error(`socket closed after ${heads.length} responses`)));
    });
    heads.push(head);
  }
  socket.destroy();
  return heads;
}

describe('the proxy', () => {
  let daemon: TestDaemon;

  it('sets X-Forwarded-* and X-Served-By-Slot, replacing what the client sent', async () => {
    daemon = await startDaemon();
    const answer = await request(`${daemon.proxyUrl}/headers`, { headers: { 'x-forwarded-for': '6.6.6.6', 'x-forwarded-host': 'evil', host: 'api.example.test' } });
    expect(answer.status).toBe(200);
    const seen = JSON.parse(answer.body) as { headers: Record<string, string> };
    expect(seen.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen.headers['x-forwarded-proto']).toBe('http');
    expect(seen.headers['x-forwarded-host']).toBe('api.example.test');
    expect(answer.headers['x-served-by-slot']).toBe('a');
    expect(answer.headers['x-app-version']).toBe('1.0.0');
    expect(answer.headers['x-app-min-compatible-version']).toBe('1.0.0');
  });

  it('keeps the client connection open when the backend answers Connection: close', async () => {
    daemon = await startDaemon();
    const port = Number(new URL(daemon.proxyUrl).port);
    const heads = await overOneSocket(port, ['/close', '/close', '/']);
    expect(heads).toHaveLength(3);
    for (const head of heads) expect(head).toMatch(/^HTTP\/1\.1 200/);
    expect(heads[0]).not.toMatch(/connection: close/i);
  });

  it('answers each of 40 requests with a megabyte of headers with a JSON 431 that no connection reset overtakes', async () => {
    daemon = await startDaemon();
    const port = Number(new URL(daemon.proxyUrl).port);
    const answers: string[] = [];
    for (let i = 0; i < 40; i++) answers.push(await rawExchange(port, `GET / HTTP/1.1\r\nHost: x\r\nX-Client-Version: ${'1'.repeat(1_000_000)}\r\n\r\n`));
    expect(answers.filter((a) => !a.startsWith('HTTP/1.1 431 '))).toEqual([]);
    expect(JSON.parse(answers[0]!.split('\r\n\r\n')[1]!)).toMatchObject({ error: 'headers_too_large', message: expect.stringMatching(/send shorter headers/) });
    const garbage = await rawExchange(port, 'NOT HTTP AT ALL\r\n\r\n');
    expect(garbage).toMatch(/^HTTP\/1\.1 400 /);
    expect(JSON.parse(garbage.split('\r\n\r\n')[1]!)).toMatchObject({ error: 'bad_request', message: expect.stringMatching(/not valid HTTP\/1\.1/) });
    expect((await request(`${daemon.proxyUrl}/`)).status).toBe(200);
  });

  it('answers a JSON 502 with Retry-After when the backend keeps resetting, after retrying a GET but not a POST, and keeps serving', async () => {
    daemon = await startDaemon();
    const get = await request(`${daemon.proxyUrl}/reset`);
    expect(get.status).toBe(502);
    expect(get.headers['retry-after']).toBeDefined();
    expect(JSON.parse(get.body)).toMatchObject({ error: 'bad_gateway' });
    const post = await request(`${daemon.proxyUrl}/reset`, { method: 'POST', body: 'x' });
    expect(post.status).toBe(502);
    const status = await daemon.status();
    // GET: three attempts in all (two retries); POST: none, its body cannot be replayed.
    expect((status.proxy as { retried: number }).retried).toBe(2);
    expect((await request(`${daemon.proxyUrl}/`)).status).toBe(200);
  });

  it('cuts the client response off when the backend dies mid-response instead of leaving it hanging', async () => {
    daemon = await startDaemon();
    const outcome = await new Promise<string>((resolve) => {
      const req = http.get(`${daemon.proxyUrl}/partial`, { agent: false, timeout: 10_000 }, (res) => {
        res.on('data', () => {});
        res.on('end', () => resolve('complete'));
        res.on('error', () => resolve('aborted'));
        res.on('aborted', () => resolve('aborted'));
      });
      req.on('timeout', () => resolve('hung'));
      req.on('error', () => resolve('aborted'));
    });
    expect(outcome).toBe('aborted');
    expect((await request(`${daemon.proxyUrl}/`)).status).toBe(200);
  });

  it('balances a slot\'s instances, retries on the sibling when one dies, and restarts the dead one, losing no GET', { timeout: 60_000 }, async () => {
    daemon = await startDaemon({ instances: 2 });
    const before = await daemon.status();
    expect(before.slots.a.total).toBe(2);
    let stop = false;
    const load = startLoad({ baseUrl: daemon.proxyUrl, clients: 30, stop: () => stop, maxMs: 20_000 });
    // Both instances must have served before the kill: wait for the traffic, not for a guessed time.
    await eventually(() => {
      for (const instance of [1, 2]) expect(load.answered().filter((o) => o.instance === instance).length).toBeGreaterThan(20);
    }, 20_000);
    const killedAt = Date.now();
    const victim = before.slots.a.instances[1]!.pid!;
    process.kill(victim, 'SIGKILL');
    await eventually(async () => {
      const status = await daemon.status();
      expect((status.slots.a as unknown as { restarts: number }).restarts).toBe(1);
      expect(status.slots.a.healthy).toBe(2);
    });
    const restartedAt = Date.now();
    await eventually(() => {
      for (const instance of [1, 2]) expect(load.answered().filter((o) => o.instance === instance && o.start > restartedAt).length).toBeGreaterThan(20);
    }, 20_000);
    stop = true;
    const outcomes = await load.done;
    expect(failures(outcomes)).toEqual([]);
    const count = (instance: number, when: (o: (typeof outcomes)[number]) => boolean) => outcomes.filter((o) => o.instance === instance && when(o)).length;
    // Both instances served before the kill, and both again once the dead one was restarted.
    expect(count(1, (o) => o.end < killedAt)).toBeGreaterThan(20);
    expect(count(2, (o) => o.end < killedAt)).toBeGreaterThan(20);
    expect(count(1, (o) => o.start > restartedAt)).toBeGreaterThan(20);
    expect(count(2, (o) => o.start > restartedAt)).toBeGreaterThan(20);
    const after = await daemon.status();
    expect(after.slots.a.instances[1]!.pid).not.toBe(victim);
  });
});
