// `slotswap restart`, the new daemon's side: receive the listening sockets and what was in memory, check that the
// config did not move a listener, and report ready (or why not) to the daemon handing over.
import type net from 'node:net';
import { SlotswapError } from '../errors.js';
import type { Config } from '../config/config-types.js';
import { tlsEnabled } from '../tls/tls-config.js';
import type { Orchestrator } from '../ops/orchestrator.js';
import { newHistoryEntry } from '../state/state-types.js';
import { HANDOVER_ENV, type ChildReport, type HandoverMessage, type ListenAt, type ListenerMessage, type ListenerName } from './handover-protocol.js';

export interface Handover {
  meta: HandoverMessage;
  servers: Partial<Record<ListenerName, net.Server>>;
}

const RECEIVE_TIMEOUT_MS = 10_000;

/** The pid of the daemon handing over to this one, or null for an ordinary start. */
export function handoverFrom(): number | null {
  const pid = Number(process.env[HANDOVER_ENV]);
  return Number.isInteger(pid) && pid > 0 && typeof process.send === 'function' ? pid : null;
}

/** Waits for the handover message and one server handle per listener it names. */
export function receiveHandover(): Promise<Handover> {
  return new Promise((resolve, reject) => {
    let meta: HandoverMessage | null = null;
    const servers: Handover['servers'] = {};
    const timer = setTimeout(() => reject(new SlotswapError('internal', `no handover from pid ${process.env[HANDOVER_ENV]} within ${RECEIVE_TIMEOUT_MS} ms`)), RECEIVE_TIMEOUT_MS);
    const done = () => {
      if (!meta || !Object.keys(meta.listeners).every((name) => servers[name as ListenerName])) return;
      clearTimeout(timer);
      process.off('message', onMessage);
      resolve({ meta, servers });
    };
    const onMessage = (message: HandoverMessage | ListenerMessage, handle?: net.Server) => {
      if (message.type === 'handover') meta = message;
      // Kept referenced for the daemon's life and never closed here: closing it would close the shared socket.
      else if (message.type === 'listener' && handle) servers[message.name] = handle;
      done();
    };
    process.on('message', onMessage);
  });
}

/** What the config asks each listener to be now. */
function wanted(config: Config): Partial<Record<ListenerName, ListenAt>> {
  return {
    proxy: { host: config.proxy.host, port: config.proxy.port },
    ...(tlsEnabled(config) ? { https: { host: config.proxy.host, port: config.proxy.tls.port } } : {}),
    admin: { host: config.admin.host, port: config.admin.port },
  };
}

const KEYS: Record<ListenerName, string> = { proxy: 'proxy.host/proxy.port', https: 'proxy.tls.port', admin: 'admin.host/admin.port' };

/**
 * A handed-over socket stays bound where it was: a config that moves a listener is refused (a new TLS listener
 * is simply opened; one turned off is let go).
 */
export function refuseMovedListeners(config: Config, meta: HandoverMessage): void {
  const now = wanted(config);
  for (const name of Object.keys(now) as ListenerName[]) {
    const was = meta.listeners[name];
    const is = now[name]!;
    if (was && (was.host !== is.host || was.port !== is.port)) {
      throw new SlotswapError('invalid_config', `"${KEYS[name]}" changed from ${was.host}:${was.port} to ${is.host}:${is.port}: slotswap restart keeps the listening sockets, so it cannot move them; change it back and restart, or stop and start the daemon to move it (connections are refused meanwhile)`);
    }
  }
}

/** The history entry of a restart, written by the new daemon (the old one no longer writes the state file). */
export async function recordRestart(orch: Orchestrator, meta: HandoverMessage, version: string): Promise<void> {
  const entry = newHistoryEntry('restart', meta.actor, orch.store.data.live, orch.liveVersion());
  entry.startedAt = meta.startedAt;
  entry.outcome = 'ok';
  entry.endedAt = new Date().toISOString();
  entry.toVersion = orch.liveVersion();
  entry.steps.push({ name: 'hand over', ms: Date.now() - Date.parse(entry.startedAt), ok: true, detail: `daemon pid ${meta.fromPid} (slotswap ${meta.fromVersion}) -> pid ${process.pid} (slotswap ${version}); instances kept` });
  await orch.store.recordOperation(entry).catch((err: unknown) => console.error(`slotswap: the restart could not be recorded in the history: ${(err as Error).message}`));
}

/** Tells the daemon handing over how the start went; resolves once the message is out. */
export function reportToOld(report: ChildReport): Promise<void> {
  return new Promise((resolve) => {
    if (typeof process.send !== 'function' || !process.connected) return resolve();
    process.send(report, undefined, {}, () => resolve());
  });
}
