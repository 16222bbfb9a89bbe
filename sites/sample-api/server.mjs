// The sample API slotswap deploys: plain Node, no dependencies. Answers who it is, echoes, sleeps, and speaks WebSocket.
import http from 'node:http';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

const release = JSON.parse(readFileSync(new URL('./release.json', import.meta.url), 'utf8'));
const version = process.env.SLOTSWAP_VERSION || release.version;
const slot = process.env.SLOTSWAP_SLOT || '-';
const instance = Number(process.env.SLOTSWAP_INSTANCE || 1);
const port = Number(process.env.PORT || 3000);
const host = process.env.HOST || '127.0.0.1';
const STOP_DEADLINE_MS = Number(process.env.STOP_DEADLINE_MS || 8000);
const MAX_SLOW_MS = 120_000;
let stopping = false;

// Test ids this instance has served (bounded): lets a test prove a request was forwarded exactly once.
const seenIds = [];
const identity = () => ({ version, slot, instance, pid: process.pid });

function send(res, status, body) {
  const payload = JSON.stringify(body);
  // Once stopping, tell keep-alive clients to go elsewhere.
  if (stopping) res.setHeader('connection', 'close');
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
  res.end(payload);
}

const server = http.createServer((req, res) => {
  // The target is a path: "//health" must stay the path //health, not become the host "health".
  const url = new URL(`http://x${req.url}`);
  const testId = req.headers['x-test-id'];
  if (typeof testId === 'string') {
    seenIds.push(testId);
    if (seenIds.length > 10_000) seenIds.shift();
  }
  if (req.method === 'GET' && url.pathname === '/seen') return send(res, 200, { ...identity(), ids: seenIds });
  if (req.method === 'GET' && url.pathname === '/health') return send(res, 200, { status: 'ok', ...identity() });
  if (req.method === 'GET' && url.pathname === '/') return send(res, 200, identity());
  if (req.method === 'GET' && url.pathname === '/slow') {
    const ms = Math.min(Math.max(Number(url.searchParams.get('ms')) || 0, 0), MAX_SLOW_MS);
    setTimeout(() => send(res, 200, { ...identity(), sleptMs: ms }), ms);
    return;
  }
  // Failure modes for testing a proxy in front: a reset before any byte, a body cut short, a backend asking to close.
  if (url.pathname === '/reset') return req.socket.destroy();
  if (url.pathname === '/partial') {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '100000' });
    res.write('only the start of the body');
    setTimeout(() => req.socket.destroy(), 50);
    return;
  }
  if (url.pathname === '/close') {
    res.setHeader('connection', 'close');
    return send(res, 200, identity());
  }
  if (req.method === 'GET' && url.pathname === '/headers') return send(res, 200, { ...identity(), url: req.url, headers: req.headers });
  if (req.method === 'POST' && url.pathname === '/echo') {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      send(res, 200, { ...identity(), bytes: body.length, sha256: createHash('sha256').update(body).digest('hex'), body: body.toString('utf8') });
    });
    return;
  }
  send(res, 404, { error: 'not_found', path: url.pathname });
});

// Backend keep-alive outlives the proxy's agent idle timeout, so the proxy never reuses a socket we just closed.
server.keepAliveTimeout = 10_000;
server.headersTimeout = 11_000;

// A minimal WebSocket echo (text frames, RFC 6455), so the proxy's upgrade path can be tested without packages.
server.on('upgrade', (req, socket) => {
  const key = req.headers['sec-websocket-key'];
  if (!key || String(req.headers.upgrade).toLowerCase() !== 'websocket') return socket.destroy();
  const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
  let buffered = Buffer.alloc(0);
  socket.on('error', () => socket.destroy());
  socket.on('data', (chunk) => {
    buffered = Buffer.concat([buffered, chunk]);
    while (buffered.length >= 2) {
      const opcode = buffered[0] & 0x0f;
      let length = buffered[1] & 0x7f;
      let offset = 2;
      if (length === 126) { if (buffered.length < 4) return; length = buffered.readUInt16BE(2); offset = 4; }
      else if (length === 127) { if (buffered.length < 10) return; length = Number(buffered.readBigUInt64BE(2)); offset = 10; }
      const masked = (buffered[1] & 0x80) !== 0;
      const total = offset + (masked ? 4 : 0) + length;
      if (buffered.length < total) return;
      const mask = masked ? buffered.subarray(offset, offset + 4) : null;
      const payload = Buffer.from(buffered.subarray(total - length, total));
      if (mask) for (let i = 0; i < payload.length; i++) payload[i] ^= mask[i % 4];
      buffered = buffered.subarray(total);
      if (opcode === 0x8) { socket.end(Buffer.from([0x88, 0])); return; }
      if (opcode === 0x9) { socket.write(Buffer.concat([Buffer.from([0x8a, payload.length]), payload])); continue; }
      if (opcode !== 0x1) continue;
      const reply = Buffer.from(JSON.stringify({ ...identity(), echo: payload.toString('utf8') }));
      const header = reply.length < 126 ? Buffer.from([0x81, reply.length]) : Buffer.from([0x81, 126, reply.length >> 8, reply.length & 0xff]);
      socket.write(Buffer.concat([header, reply]));
    }
  });
});

process.on('SIGTERM', () => {
  stopping = true;
  server.close(() => process.exit(0));
  server.closeIdleConnections();
  setTimeout(() => process.exit(0), STOP_DEADLINE_MS).unref();
});

server.listen(port, host, () => console.log(`sample-api ${version} slot ${slot} instance ${instance} pid ${process.pid} on ${host}:${port}`));
