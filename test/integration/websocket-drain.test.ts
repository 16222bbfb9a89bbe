import http from 'node:http';
import { describe, expect, it, onTestFinished } from 'vitest';
import { WebSocket } from 'ws';
import { makeRelease, startDaemon, type TestDaemon } from '../helpers/test-daemon.js';
import { eventually } from '../helpers/eventually.js';
import { settled } from '../helpers/settled.js';
import { request } from '../helpers/http-client.js';

interface Closed {
  at: number;
  code: number;
  reason: string;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms)));
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** Opens a WebSocket through the proxy and remembers the close code and reason it sees; terminated when the test ends. */
async function openSocket(url: string): Promise<{ ws: WebSocket; closed: Promise<Closed> }> {
  const ws = new WebSocket(url, { handshakeTimeout: 5_000 });
  onTestFinished(() => {
    ws.terminate();
  });
  ws.on('error', () => {});
  const closed = new Promise<Closed>((resolve) => ws.once('close', (code, reason) => resolve({ at: Date.now(), code, reason: reason.toString('utf8') })));
  await withTimeout(
    new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      void closed.then(({ code }) => reject(new Error(`WebSocket closed (${code}) before it opened`)));
    }),
    10_000,
    'the WebSocket opening',
  );
  return { ws, closed };
}

/** Sends one text frame and waits (bounded) for the sample API's JSON echo. */
function ask(ws: WebSocket, text: string): Promise<{ slot: string; echo: string }> {
  const answer = new Promise<{ slot: string; echo: string }>((resolve) => ws.once('message', (data: Buffer) => resolve(JSON.parse(data.toString('utf8')) as { slot: string; echo: string })));
  ws.send(text);
  return withTimeout(answer, 5_000, `the echo of ${JSON.stringify(text)}`);
}

async function metric(daemon: TestDaemon, line: string): Promise<number | null> {
  const answer = await request(`${daemon.adminUrl}/metrics`, { headers: { authorization: `Bearer ${daemon.token}` } });
  const found = answer.body.split('\n').find((l) => l.startsWith(`${line} `));
  return found === undefined ? null : Number(found.slice(line.length + 1));
}

async function slotWebSockets(daemon: TestDaemon, slot: 'a' | 'b'): Promise<number> {
  return ((await daemon.status()).slots[slot] as unknown as { webSockets: number }).webSockets;
}

/** An instance that streams server-sent events on /events (one every 100 ms) until the client goes. */
const STREAM_SERVER = `import http from 'node:http';
const server = http.createServer((req, res) => {
  if (req.url === '/health') { res.writeHead(200, { 'content-type': 'application/json' }); return res.end('{"status":"ok"}'); }
  if (req.url !== '/events') { res.writeHead(404); return res.end(); }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  let n = 0;
  res.write('data: ' + n++ + '\\n\\n');
  const timer = setInterval(() => res.write('data: ' + n++ + '\\n\\n'), 100);
  res.on('close', () => clearInterval(timer));
});
process.on('SIGTERM', () => { server.close(() => process.exit(0)); server.closeIdleConnections(); setTimeout(() => process.exit(0), 3000).unref(); });
server.listen(Number(process.env.PORT), process.env.HOST || '127.0.0.1');
`;

interface StreamEnd {
  at: number;
  /** The response ended with its terminating chunk (not reset, not aborted). */
  complete: boolean;
  error: string | null;
  events: number;
}

/** Opens /events through the proxy and reports how the stream ended. */
async function openEventStream(daemon: TestDaemon): Promise<{ slot: string; ended: Promise<StreamEnd> }> {
  return withTimeout(
    new Promise((resolve, reject) => {
      const req = http.get(`${daemon.proxyUrl}/events`, { agent: false }, (res) => {
        let events = 0;
        let error: string | null = null;
        res.on('data', (chunk: Buffer) => (events += chunk.toString('utf8').split('\n\n').length - 1));
        res.on('error', (err) => (error = err.message));
        const ended = new Promise<StreamEnd>((done) => res.once('close', () => done({ at: Date.now(), complete: res.complete, error, events })));
        resolve({ slot: String(res.headers['x-served-by-slot']), ended });
      });
      req.on('error', reject);
      onTestFinished(() => {
        req.destroy();
      });
    }),
    10_000,
    'the event stream opening',
  );
}

describe('WebSockets and event streams across a drain', () => {
  it('sends a WebSocket open on the old slot a close frame 1001 "going away" at the drain deadline (not a 1006 drop), and counts it per slot in status and metrics while it is open', { timeout: 60_000 }, async () => {
    const daemon = await startDaemon({ drain: { graceMs: 0, idleMs: 100, timeoutMs: 2_500, stopTimeoutMs: 2_000 } });
    const old = await openSocket(`${daemon.proxyUrl.replace(/^http/, 'ws')}/ws`);
    expect(await ask(old.ws, 'hello')).toMatchObject({ slot: 'a', echo: 'hello' });
    expect(await slotWebSockets(daemon, 'a')).toBe(1);
    expect(await metric(daemon, 'slotswap_websockets_open{slot="a"}')).toBe(1);
    expect(await metric(daemon, 'slotswap_websockets_open{slot="b"}')).toBe(0);

    const deploy = await daemon.cli(['deploy', `${daemon.dir}/sites/sample-api`, '--version', '1.1.0'], 60_000);
    expect(deploy.code, deploy.stderr + deploy.stdout).toBe(0);
    const flippedAt = Date.now();
    // While the old slot drains, its WebSocket still works and is still counted.
    expect(await ask(old.ws, 'still there?')).toMatchObject({ slot: 'a' });
    expect(await slotWebSockets(daemon, 'a')).toBe(1);
    expect(await metric(daemon, 'slotswap_websockets_open{slot="a"}')).toBe(1);

    const closed = await withTimeout(old.closed, 15_000, 'the old WebSocket closing');
    console.log(`websocket-drain: the old slot's WebSocket closed with ${closed.code} "${closed.reason}" ${closed.at - flippedAt} ms after the deploy returned`);
    expect(closed.code, 'the code the client saw (1006 means the socket was dropped without a close frame)').toBe(1001);
    expect(closed.reason).toBe('going away');
    await settled(daemon);
    expect((await daemon.status()).slots.a.state).toBe('stopped');
    expect(await slotWebSockets(daemon, 'a')).toBe(0);
    expect(await metric(daemon, 'slotswap_websockets_open{slot="a"}')).toBe(0);
  });

  it('ends an event stream from the old slot cleanly (its last chunk sent, not reset) at the drain deadline', { timeout: 90_000 }, async () => {
    const daemon = await startDaemon({ drain: { graceMs: 0, idleMs: 100, timeoutMs: 2_500, stopTimeoutMs: 3_000 } });
    const streaming = await makeRelease(daemon.dir, 'streaming', { version: '1.1.0', start: ['node', 'stream-server.mjs'] }, { 'stream-server.mjs': STREAM_SERVER });
    const first = await daemon.cli(['deploy', streaming, '--json'], 60_000);
    expect(first.code, first.stderr + first.stdout).toBe(0);
    await settled(daemon);

    const stream = await openEventStream(daemon);
    expect(stream.slot).toBe('b');
    const second = await daemon.cli(['deploy', `${daemon.dir}/sites/sample-api`, '--version', '1.2.0'], 60_000);
    expect(second.code, second.stderr + second.stdout).toBe(0);
    const flippedAt = Date.now();
    const end = await withTimeout(stream.ended, 20_000, 'the event stream ending');
    console.log(`websocket-drain: the old slot's event stream ended ${end.at - flippedAt} ms after the deploy returned: ${JSON.stringify(end)}`);
    expect(end, 'the stream was cut off instead of ended').toMatchObject({ complete: true, error: null });
    expect(end.events).toBeGreaterThan(5);
    await settled(daemon);
  });

  it('closes long-lived connections at drain.websocketGraceMs, long before drain.timeoutMs, and the old slot then stops', { timeout: 90_000 }, async () => {
    const daemon = await startDaemon({ drain: { graceMs: 0, idleMs: 100, timeoutMs: 120_000, stopTimeoutMs: 3_000, websocketGraceMs: 1_500 } });
    const streaming = await makeRelease(daemon.dir, 'streaming', { version: '1.1.0', start: ['node', 'stream-server.mjs'] }, { 'stream-server.mjs': STREAM_SERVER });
    expect((await daemon.cli(['deploy', streaming], 60_000)).code).toBe(0);
    await settled(daemon);
    const stream = await openEventStream(daemon);
    expect(stream.slot).toBe('b');

    // The streaming release has no WebSocket route: put the sample API back on a, then open a WebSocket there too.
    const back = await daemon.cli(['deploy', `${daemon.dir}/sites/sample-api`, '--version', '1.2.0'], 60_000);
    expect(back.code, back.stderr + back.stdout).toBe(0);
    const streamEnd = await withTimeout(stream.ended, 20_000, 'the event stream ending at the grace');
    expect(streamEnd).toMatchObject({ complete: true, error: null });
    await settled(daemon);
    const ws = await openSocket(`${daemon.proxyUrl.replace(/^http/, 'ws')}/ws`);
    expect(await ask(ws.ws, 'hello')).toMatchObject({ slot: 'a' });

    const deploy = await daemon.cli(['deploy', `${daemon.dir}/sites/sample-api`, '--version', '1.3.0'], 60_000);
    expect(deploy.code, deploy.stderr + deploy.stdout).toBe(0);
    const flippedAt = Date.now();
    const closed = await withTimeout(ws.closed, 20_000, 'the WebSocket closing at the grace');
    console.log(`websocket-drain: with websocketGraceMs 1500 the WebSocket closed ${closed.at - flippedAt} ms after the deploy returned`);
    expect(closed.code).toBe(1001);
    await eventually(async () => expect((await daemon.status()).slots.a.state).toBe('stopped'), 20_000);
  });
});
