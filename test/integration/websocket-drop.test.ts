// WebSocket clients that vanish without a close frame (a half-close, or the socket simply destroyed): the proxy must
// end the backend side too and free both descriptors, or the slot never goes idle and shutdown waits its deadline.
import net from 'node:net';
import { readdir } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { startDaemon, type TestDaemon } from '../helpers/test-daemon.js';
import { eventually } from '../helpers/eventually.js';

const CLIENTS = 200;

async function openDescriptors(pid: number): Promise<number> {
  return (await readdir(`/proc/${pid}/fd`)).length;
}

/** A raw WebSocket handshake; resolves with the socket once the 101 has arrived (bounded). */
function openRaw(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () =>
      socket.write('GET /ws HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n'),
    );
    const timer = setTimeout(() => socket.destroy(new Error('no 101 within 5 s')), 5_000);
    let head = '';
    const onData = (chunk: Buffer) => {
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      clearTimeout(timer);
      socket.off('data', onData);
      if (head.startsWith('HTTP/1.1 101')) resolve(socket);
      else reject(new Error(`expected 101, got ${head.split('\r\n')[0]}`));
    };
    socket.on('data', onData);
    socket.once('error', reject);
  });
}

async function openSockets(daemon: TestDaemon): Promise<number> {
  const instances = (await daemon.status()).slots.a.instances as unknown as { webSockets: number }[];
  return instances.reduce((n, i) => n + i.webSockets, 0);
}

describe('WebSocket clients that drop without a close frame', () => {
  it(`frees both sockets of ${CLIENTS} WebSockets half-closed or destroyed by their clients, and SIGTERM then exits promptly`, { timeout: 90_000 }, async () => {
    const daemon = await startDaemon();
    const pid = daemon.process.pid!;
    const port = Number(new URL(daemon.proxyUrl).port);
    const baseline = await openDescriptors(pid);
    const sockets: net.Socket[] = [];
    for (let i = 0; i < CLIENTS; i++) sockets.push(await openRaw(port));
    await eventually(async () => expect(await openSockets(daemon)).toBe(CLIENTS), 10_000);
    // Half of them half-close (FIN, no close frame), half are destroyed outright.
    sockets.forEach((socket, i) => {
      socket.on('error', () => {});
      socket.resume();
      if (i % 2 === 0) socket.end();
      else socket.destroy();
    });
    await eventually(async () => {
      expect({ webSockets: await openSockets(daemon), descriptorsAboveBaseline: Math.max(0, (await openDescriptors(pid)) - baseline - 4) }).toEqual({ webSockets: 0, descriptorsAboveBaseline: 0 });
    }, 15_000);
    for (const socket of sockets) socket.destroy();
    const stoppedAt = Date.now();
    expect(await daemon.stop()).toBe(0);
    expect(Date.now() - stoppedAt, 'SIGTERM to exit').toBeLessThan(5_000);
  });
});
