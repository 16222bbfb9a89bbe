// Tells whether a loopback port is free, so a stale process on an instance's port is caught before spawning and a stopped slot is known to be free.
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

const PORT_POLL_MS = 25;

export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** Polls until the port is free (a stopped instance's socket can take a moment to close); true if it was within timeoutMs. */
export async function waitPortFree(port: number, timeoutMs: number, host = '127.0.0.1'): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await isPortFree(port, host)) return true;
    if (Date.now() >= until) return false;
    await sleep(PORT_POLL_MS);
  }
}
