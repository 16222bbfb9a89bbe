// What `slotswap status` and GET /api/status show: both slots, their instances, in-flight counts and drain progress.
import { SLOT_NAMES, type SlotName } from '../config/config-types.js';
import type { Orchestrator } from './orchestrator.js';
import { drainStatus } from './drain.js';
import { tlsStatusOf } from '../tls/tls-status.js';
import { manifestUrl, slotUrl } from './manifest.js';
import { maintenanceStatus } from './maintenance.js';
import { progressiveStatus } from './canary.js';
import { slotswapVersion } from '../restart/slotswap-version.js';

/** A release's env as shown: the keys, every value "***" (env values are often passwords). */
export function redactedEnv(env: Record<string, string> | undefined): Record<string, string> | null {
  return env ? Object.fromEntries(Object.keys(env).map((key) => [key, '***'])) : null;
}

export function buildStatus(orch: Orchestrator) {
  const data = orch.store.data;
  const slot = (name: SlotName) => {
    const record = data.slots[name];
    const processes = orch.supervisor.instances(name);
    const ups = orch.upstreams[name];
    const instances = processes.map((p, i) => ({
      label: p.spec.label,
      port: p.spec.port,
      pid: p.pid ?? null,
      running: p.running,
      healthy: ups[i]?.healthy ?? false,
      inFlight: ups[i]?.inFlight ?? 0,
      webSockets: ups[i]?.webSockets.size ?? 0,
      crashLoop: orch.runtime.crashLooping(p.spec.label),
    }));
    return {
      state: record.state,
      live: data.live === name,
      since: record.since,
      name: record.release?.name ?? null,
      version: record.release?.version ?? null,
      minCompatibleVersion: record.release?.minCompatibleVersion ?? null,
      env: redactedEnv(record.release?.env),
      clientFiles: record.release?.client ? { version: record.release.version, files: record.release.client.files, bytes: record.release.client.bytes } : null,
      healthy: instances.filter((i) => i.healthy).length,
      total: instances.length,
      inFlight: orch.busy(name),
      webSockets: instances.reduce((sum, i) => sum + i.webSockets, 0),
      restarts: orch.restarts[name],
      crashLoop: instances.some((i) => i.crashLoop),
      url: slotUrl(orch.config, name),
      drain: drainStatus(orch, name),
      instances,
    };
  };
  return {
    app: orch.config.app,
    mode: orch.config.mode,
    // Which daemon answers, and the slotswap code it runs: both change with slotswap restart.
    daemon: { pid: process.pid, version: slotswapVersion() },
    live: data.live,
    publicUrl: orch.config.proxy.publicUrl,
    manifestUrl: manifestUrl(orch.config),
    operation: orch.lock.current,
    maintenance: maintenanceStatus(orch),
    hold: orch.proxy ? orch.proxy.holdStats() : { on: false, reasons: [], since: null, queued: 0, holdsTotal: 0, queuedTotal: 0, replayedTotal: 0, timedOutTotal: 0, refusedTotal: 0 },
    slots: Object.fromEntries(SLOT_NAMES.map((name) => [name, slot(name)])) as Record<SlotName, ReturnType<typeof slot>>,
    manifest: data.manifest,
    ...progressiveStatus(orch),
    proxy: orch.proxy ? { ...orch.proxy.counters } : null,
    tls: tlsStatusOf(orch),
  };
}

export type Status = ReturnType<typeof buildStatus>;
