// `slotswap start`: wires config, state, supervisor, proxy and admin API together, and shuts them down in order.
import type net from 'node:net';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { runtimeFile, type DaemonRuntimeInfo } from './runtime-file.js';
import { loadConfig } from './config/load-config.js';
import { StateStore } from './state/state-store.js';
import { Supervisor } from './slots/supervisor.js';
import { Orchestrator } from './ops/orchestrator.js';
import { ProxyServer } from './proxy/proxy-server.js';
import { AppFiles } from './proxy/app-files.js';
import { maintenanceBypass } from './proxy/maintenance-bypass.js';
import { handOnMark } from './proxy/forwarded-headers.js';
import { loadMaintenancePage } from './ops/maintenance.js';
import { appFilesRoot } from './release/app-file-store.js';
import { createAdminHandler } from './admin/admin-app.js';
import { ensureToken } from './admin/admin-token.js';
import { startUp } from './ops/startup.js';
import { monitorCanary } from './ops/canary-monitor.js';
import { watchInstances } from './ops/instance-recovery.js';
import { adoptInstances } from './restart/adopt-instances.js';
import { wireRestart } from './restart/hand-off.js';
import { handoverFrom, receiveHandover, recordRestart, refuseMovedListeners, reportToOld, type Handover } from './restart/receive-handover.js';
import type { ListenAt, ListenerName } from './restart/handover-protocol.js';
import { notifySystemd } from './restart/systemd-notify.js';
import { slotswapVersion } from './restart/slotswap-version.js';
import { manifestUrl } from './ops/manifest.js';
import { SHUTDOWN_DRAIN_TIMEOUT_MS } from './defaults.js';
import type { SlotswapEvent } from './ops/operation-events.js';
import { SlotswapError } from './errors.js';
import { cmdlineOf } from './slots/pid-file.js';
import { derivePublicUrl, publicUrlPortWarning } from './config/public-url.js';
import { publicSide } from './config/load-config.js';
import { TlsFront } from './tls/tls-front.js';
import { createAdminServer } from './tls/admin-server.js';
import { createFleetAgent } from './fleet/fleet-agent.js';
import { limitHeapGrowth } from './heap-growth.js';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);


function printEvent(event: SlotswapEvent): void {
  if (event.type !== 'step' || event.phase === 'begin') return;
  const mark = event.phase === 'end' ? 'ok  ' : 'FAIL';
  console.log(`[${event.op}] ${mark} ${event.step.padEnd(7)} ${String(event.ms?.toFixed(1) ?? '').padStart(9)} ms  ${event.detail ?? ''}`);
}

/** Two daemons on one state folder would fight over the state file and each other's instances (a handover excepted). */
async function refuseSecondDaemon(stateFile: string, handingOver: number | null): Promise<void> {
  let other: DaemonRuntimeInfo;
  try {
    other = JSON.parse(await readFile(runtimeFile(stateFile), 'utf8')) as DaemonRuntimeInfo;
  } catch {
    return;
  }
  if (typeof other.pid !== 'number' || other.pid === process.pid || other.pid === handingOver) return;
  const cmdline = await cmdlineOf(other.pid);
  if (cmdline?.includes('start')) {
    throw new SlotswapError('conflict', `another slotswap daemon (pid ${other.pid}) already runs with ${stateFile}; stop it first (kill ${other.pid}), or use another config`);
  }
}

interface Bound {
  address: string;
  port: number;
}

/** host:port as a URL authority (IPv6 in brackets). */
function authority({ address, port }: Bound): string {
  return `${address.includes(':') ? `[${address}]` : address}:${port}`;
}

/** Listens on a socket handed over by the previous daemon (restart), else binds host:port. */
function listen(server: net.Server, port: number, host: string, key: string, handed?: net.Server): Promise<Bound> {
  if (handed) {
    return new Promise((resolve) => {
      server.listen(handed, () => {
        const { address, port: bound } = server.address() as { address: string; port: number };
        resolve({ address, port: bound });
      });
    });
  }
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      const why = err.code === 'EADDRINUSE' ? 'is already in use by another process' : `cannot be opened (${err.code ?? err.message})`;
      reject(new SlotswapError('invalid_config', `"${key}": ${host}:${port} ${why}; stop that process or choose another port`));
    });
    server.listen(port, host, () => {
      server.removeAllListeners('error');
      const { address, port: bound } = server.address() as { address: string; port: number };
      resolve({ address, port: bound });
    });
  });
}

/** Runs until SIGINT/SIGTERM; resolves with the exit code once everything is stopped and persisted. */
export async function runDaemon(configFile: string): Promise<number> {
  limitHeapGrowth();
  const handingOver = handoverFrom();
  // The sockets come first: the daemon handing over waits for nothing else before it can be told why we failed.
  const handover: Handover | null = handingOver ? await receiveHandover() : null;
  const config = await loadConfig(configFile);
  if (handover) refuseMovedListeners(config, handover.meta);
  await refuseSecondDaemon(config.stateFile, handingOver);
  const store = await StateStore.open(config.stateFile);
  const { token, source } = await ensureToken(config.admin.tokenFile);
  const supervisor = new Supervisor(config);
  const orch = new Orchestrator(config, store, supervisor);
  watchInstances(orch);
  // Instances still running (a kill -9, or the daemon handing over) are taken over, the rest reaped; before listening.
  const adoption = await adoptInstances(orch, handover !== null);
  for (const note of adoption.notes) console.log(`slotswap: ${note}`);
  orch.events.on('event', printEvent);

  const routeSettings = () => ({
    manifestPath: config.clients.manifestPath,
    slotPathPrefix: config.proxy.slotPathPrefix,
    upgradeStatus: config.clients.upgradeStatus,
    manifestUrl: manifestUrl(config),
  });
  const pageProblem = await loadMaintenancePage(orch);
  if (pageProblem) console.error(`slotswap: ${pageProblem}`);
  const proxy = new ProxyServer(routeSettings(), config.clients.versionHeader, orch.buildSnapshot(), config.hold, config.proxy);
  orch.proxy = proxy;
  proxy.appFiles = new AppFiles(appFilesRoot(config.stateFile));
  proxy.maintenanceBypass = maintenanceBypass(token);
  // Held requests the previous daemon hands on at a restart carry this mark (src/restart/hand-on-held.ts).
  proxy.handOnMark = handOnMark(token);
  // What was held in the old daemon's memory: an operator hold goes on here.
  for (const reason of handover?.meta.holds ?? []) proxy.hold(reason);
  const handed = handover?.servers ?? {};
  const proxyBound = await listen(proxy.server, config.proxy.port, config.proxy.host, 'proxy.port', handed.proxy);
  const proxyPort = proxyBound.port;
  // The one place the TLS listener is created and bound (or takes over the handed-over socket).
  const tlsFront = await TlsFront.start(config, proxy, orch, (server) => listen(server, config.proxy.tls.port, config.proxy.host, 'proxy.tls.port', handed.https), (line) => console.log(`slotswap: ${line}`));
  const httpsBound = tlsFront?.bound ?? null;
  const httpsListener = tlsFront?.listener ?? null;
  // load-config derived it from the configured port; only the bound port is real (port 0).
  const derived = config.proxy.publicUrl === derivePublicUrl(config.proxy.host, ...publicSide(config));
  let publicUrlWarning: string | null = null;
  if (derived) {
    config.proxy.publicUrl = derivePublicUrl(config.proxy.host, ...publicSide(config, httpsBound?.port ?? proxyPort));
    proxy.updateSettings(routeSettings());
  } else {
    publicUrlWarning = publicUrlPortWarning(config.proxy.publicUrl, httpsBound?.port ?? proxyPort);
  }

  const { server: admin, scheme: adminScheme } = await createAdminServer(config, createAdminHandler(orch, token));
  const adminBound = await listen(admin, config.admin.port, config.admin.host, 'admin.port', handed.admin);
  // A listener the config turned off (TLS): our copy of its socket would accept connections nobody answers.
  if (handed.https && !httpsListener) handed.https.close();
  const adminPort = adminBound.port;
  if (!LOOPBACK.has(config.admin.host)) {
    console.warn(`slotswap: WARNING the admin API listens on ${config.admin.host}, not on loopback; anyone who can reach it and has the token controls deploys`);
  }
  const adminHost = config.admin.host === '0.0.0.0' ? '127.0.0.1' : config.admin.host;
  const proxyHost = config.proxy.host === '0.0.0.0' ? '127.0.0.1' : config.proxy.host;
  const info: DaemonRuntimeInfo = {
    pid: process.pid,
    proxyUrl: `http://${proxyHost}:${proxyPort}`,
    adminUrl: `${adminScheme}://${adminHost}:${adminPort}`,
    publicUrl: config.proxy.publicUrl,
    startedAt: new Date().toISOString(),
    ready: false,
  };
  await writeFile(runtimeFile(config.stateFile), `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });

  let stopping: Promise<number> | null = null;
  const shutdown = async (signal: string): Promise<number> => {
    console.log(`slotswap: ${signal}: finishing in-flight requests, then stopping`);
    await Promise.all([proxy.close(SHUTDOWN_DRAIN_TIMEOUT_MS, () => orch.inFlightEverywhere()), tlsFront?.close(SHUTDOWN_DRAIN_TIMEOUT_MS, () => orch.inFlightEverywhere())]);
    for (const progress of orch.drains.values()) progress.controller.abort('the daemon is stopping');
    await orch.runtime.stopAll();
    await supervisor.flushPids();
    admin.closeAllConnections();
    await new Promise<void>((resolve) => admin.close(() => resolve()));
    await store.save();
    await rm(runtimeFile(config.stateFile), { force: true });
    console.log('slotswap: stopped');
    return 0;
  };
  let resolveExit: (code: number) => void = () => {};
  let handingOff: () => boolean = () => false;
  const exitCode = new Promise<number>((resolve) => {
    resolveExit = resolve;
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.on(signal, () => {
        // The instances are the new daemon's now: this one only finishes its last requests and exits.
        if (handingOff()) return console.log(`slotswap: ${signal}: handing over to the new daemon; this one exits once its last requests are answered`);
        stopping ??= shutdown(signal);
        stopping.then(resolve, (err: unknown) => {
          console.error('slotswap: shutdown failed:', err);
          resolve(1);
        });
      });
    }
  });

  // slotswap restart: the new daemon gets these sockets; this one stops accepting only once it serves.
  const listenAt: Partial<Record<ListenerName, ListenAt>> = {
    proxy: { host: config.proxy.host, port: handover?.meta.listeners.proxy?.port ?? config.proxy.port },
    admin: { host: config.admin.host, port: handover?.meta.listeners.admin?.port ?? config.admin.port },
    ...(httpsListener ? { https: { host: config.proxy.host, port: handover?.meta.listeners.https?.port ?? config.proxy.tls.port } } : {}),
  };
  handingOff = wireRestart({ orch, proxy, admin, httpsListener, listenAt, info, stopping: () => stopping !== null, exit: resolveExit });

  // SIGHUP re-reads the certificates; a bad file is logged and the old certificate stays.
  process.on('SIGHUP', () => {
    if (!tlsFront) return console.warn('slotswap: SIGHUP: TLS is off, nothing to reload');
    tlsFront.reload('SIGHUP').then(
      (loaded) => console.log(`slotswap: SIGHUP: reloaded ${loaded.length} certificate(s)`),
      (err: unknown) => console.error(`slotswap: SIGHUP: certificates not reloaded, the old ones stay: ${(err as Error).message}`),
    );
  });

  // The addresses bound (0.0.0.0 is every interface); daemon.json keeps the connectable ones for the CLI.
  if (httpsBound) console.log(`slotswap: HTTPS on https://${authority(httpsBound)}${config.proxy.redirectHttp ? ', plain HTTP redirected to it' : ''}${tlsFront?.listener.ready ? '' : ' once ACME delivers the first certificate'}`);
  console.log(`slotswap: proxy on http://${authority(proxyBound)} (public URL ${config.proxy.publicUrl}), admin API on ${adminScheme}://${authority(adminBound)}`);
  if (publicUrlWarning) console.warn(`slotswap: ${publicUrlWarning}`);
  console.log(`slotswap: admin token in ${source}`);
  const fleet = createFleetAgent(orch, token);
  try {
    for (const note of await startUp(orch, adoption.slots)) console.log(`slotswap: ${note}`);
    // A canary recorded before the restart is judged again (or cleared, when its slot did not come back).
    if (store.data.canary) monitorCanary(orch);
  } catch (err) {
    // Taking over must not leave less served than before: the old daemon keeps serving instead.
    if (handover) throw err;
    console.error(`slotswap: ${(err as Error).message}`);
    console.error('slotswap: nothing is live; fix the release and deploy, or stop with Ctrl-C');
  }
  // A fleet node joins and brings up the fleet's live release before it reports ready (docs/fleet.md).
  await fleet?.start();
  // Rewritten once start-up is over, so scripts can wait for "ready" instead of parsing output.
  info.ready = true;
  await writeFile(runtimeFile(config.stateFile), `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
  // systemd (Type=notify) follows the main pid: a new daemon names itself before the old one exits.
  await notifySystemd(handover ? [`MAINPID=${process.pid}`, 'READY=1'] : ['READY=1']);
  if (handover) {
    await recordRestart(orch, handover.meta, slotswapVersion());
    await reportToOld({ type: 'ready', pid: process.pid, version: slotswapVersion() });
    console.log(`slotswap: took over from pid ${handover.meta.fromPid} (slotswap ${slotswapVersion()})`);
  }
  const live = store.data.live;
  if (live && orch.upstreams[live].length > 0) console.log(`slotswap: ready: slot ${live} live with ${store.data.slots[live].release?.version}; serving ${config.proxy.publicUrl}/`);
  else console.log('slotswap: running, but no slot is serving; requests wait up to hold.timeoutMs, then get 503');
  return exitCode;
}
