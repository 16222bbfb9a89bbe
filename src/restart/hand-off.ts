// The running daemon's restart wiring: POST /api/restart and SIGUSR2 start a successor; once it serves, this daemon
// stops accepting, closes what cannot move, finishes its requests, answers the call and exits 0.
import type http from 'node:http';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { SLOT_NAMES } from '../config/config-types.js';
import { RESTART_OLD_DRAIN_TIMEOUT_MS, RESTART_WEBSOCKET_CLOSE_MS } from '../defaults.js';
import { SlotswapError } from '../errors.js';
import type { Orchestrator } from '../ops/orchestrator.js';
import type { ProxyServer } from '../proxy/proxy-server.js';
import type { DaemonRuntimeInfo } from '../runtime-file.js';
import { disownInstances } from '../slots/instance-process.js';
import type { HttpsListener } from '../tls/https-listener.js';
import type { ListenAt, ListenerName } from './handover-protocol.js';
import { createRestart, type RestartResult } from './restart-daemon.js';
import { registerRestart } from './restart-registry.js';
import { HeldHandOn } from './hand-on-held.js';

/** How long the admin connections get to take their last answer before they are closed. */
const ADMIN_LINGER_MS = 5_000;
const QUIET_POLL_MS = 20;

/** Resolves once nothing has been in flight on this daemon's own upstreams (or at the deadline). */
async function quiet(busy: () => number, deadlineMs: number): Promise<void> {
  const until = Date.now() + deadlineMs;
  while (busy() > 0 && Date.now() < until) await sleep(QUIET_POLL_MS);
}

export interface HandOffParts {
  orch: Orchestrator;
  proxy: ProxyServer;
  admin: http.Server;
  httpsListener: HttpsListener | null;
  listenAt: Partial<Record<ListenerName, ListenAt>>;
  info: DaemonRuntimeInfo;
  /** The daemon is shutting down (SIGTERM): no restart then. */
  stopping: () => boolean;
  /** Called once this daemon handed over and answered: its exit code. */
  exit: (code: number) => void;
}

/** Registers the restart (admin route, SIGUSR2); returns whether a hand-off is under way (signals must then not stop instances). */
export function wireRestart(parts: HandOffParts): () => boolean {
  const { orch, proxy, admin, httpsListener } = parts;
  const servers: Partial<Record<ListenerName, net.Server>> = { proxy: proxy.server, admin, ...(httpsListener ? { https: httpsListener.server } : {}) };
  let adminClosed: Promise<void> = Promise.resolve();
  /** Over once every request on this daemon is answered: its own in flight and the held ones handed on. */
  let lastAnswers: Promise<void> = Promise.resolve();
  let handingOff = false;
  const finish = async (): Promise<void> => {
    handingOff = true;
    disownInstances();
    // Stop accepting on the admin socket at once; the restart call's own connection is answered, then closed.
    adminClosed = new Promise((resolve) => net.Server.prototype.close.call(admin, () => resolve()));
    admin.closeIdleConnections();
    // A WebSocket or event stream cannot move to another process: close 1001 (going away) / its end; the client reconnects, to the new daemon.
    for (const slot of SLOT_NAMES) orch.runtime.closeLongLived(slot);
    const until = Date.now() + RESTART_WEBSOCKET_CLOSE_MS;
    while (SLOT_NAMES.some((slot) => orch.runtime.webSockets(slot) > 0) && Date.now() < until) await sleep(20);
    // Held requests go to the new daemon, which holds too: stop accepting first, so none can come back to us.
    net.Server.prototype.close.call(proxy.server);
    if (httpsListener) net.Server.prototype.close.call(httpsListener.server);
    const handOn = proxy.handOnMark ? new HeldHandOn({ plain: parts.listenAt.proxy!, https: httpsListener ? (parts.listenAt.https ?? null) : null }, proxy.handOnMark) : null;
    proxy.handOn = handOn?.take ?? null;
    // A handed-on request may wait for the resume up to hold.timeoutMs: the connections stay open that long.
    const deadline = RESTART_OLD_DRAIN_TIMEOUT_MS + (proxy.holdStats().queued > 0 ? orch.config.hold.timeoutMs : 0);
    const own = () => orch.inFlightEverywhere();
    const busy = () => own() + (handOn?.open ?? 0);
    lastAnswers = Promise.all([proxy.close(deadline, busy), httpsListener?.close(deadline, busy)]).then(() => {
      if (handOn && handOn.total > 0) console.log(`slotswap: ${handOn.total} held request(s) handed on to the new daemon and answered (${handOn.failed} not taken)`);
    });
    // The restart is answered once this daemon's own requests are over; the handed-on ones wait for the resume.
    if (handOn && handOn.open > 0) await Promise.race([lastAnswers, quiet(own, RESTART_OLD_DRAIN_TIMEOUT_MS)]);
    else await lastAnswers;
  };
  const restartOnce = createRestart({ orch, servers, listenAt: parts.listenAt, runtime: () => parts.info, finish });
  const exitHandedOver = (result: RestartResult): void => {
    console.log(`slotswap: restarted: pid ${result.newPid} (slotswap ${result.version}) serves now, in ${result.ms} ms; pid ${process.pid} exits`);
    const until = Date.now() + ADMIN_LINGER_MS;
    const tick = setInterval(() => {
      admin.closeIdleConnections();
      if (Date.now() > until) admin.closeAllConnections();
    }, 50);
    void Promise.all([adminClosed, lastAnswers]).then(() => {
      clearInterval(tick);
      parts.exit(0);
    });
  };
  const restart = async (actor: string): Promise<RestartResult> => {
    if (parts.stopping()) throw new SlotswapError('conflict', 'the daemon is stopping; start it again with slotswap start');
    const result = await restartOnce(actor);
    // setImmediate: the admin route writes its answer first.
    setImmediate(() => exitHandedOver(result));
    return result;
  };
  registerRestart(orch, restart);
  process.on('SIGUSR2', () => {
    console.log('slotswap: SIGUSR2: restarting (a new daemon takes over the sockets and instances)');
    restart('signal').catch((err: unknown) => console.error(`slotswap: SIGUSR2: restart failed, this daemon keeps serving: ${(err as Error).message}`));
  });
  return () => handingOff;
}
