// Closing the proxy's listener without cutting off a request: stop accepting, serve what is on open
// connections, then close them all once nothing has been in flight for a moment (or at the deadline).
import type http from 'node:http';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** Connections close once nothing has been in flight for this long. */
const QUIET_MS = 200;
const POLL_MS = 20;

export async function closeGracefully(server: http.Server, deadlineMs: number, busy: () => number): Promise<void> {
  // net.Server's close, not http.Server's: the latter also drops idle keep-alive connections, racing a request just sent on one.
  const closed = new Promise<void>((resolve) => net.Server.prototype.close.call(server, () => resolve()));
  const until = Date.now() + deadlineMs;
  let quietSince = Date.now();
  while (Date.now() < until) {
    if (busy() > 0) quietSince = Date.now();
    else if (Date.now() - quietSince >= QUIET_MS) break;
    await sleep(POLL_MS);
  }
  server.closeAllConnections();
  await closed;
}
