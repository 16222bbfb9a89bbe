// The daemon's runtime: config, state store, supervisor, proxy and upstreams; publishes a new routing snapshot on every change.
import type { Config, SlotName } from '../config/config-types.js';
import { SLOT_NAMES } from '../config/config-types.js';
import type { StateStore } from '../state/state-store.js';
import type { HistoryEntry } from '../state/state-types.js';
import type { Supervisor } from '../slots/supervisor.js';
import type { ProxyServer } from '../proxy/proxy-server.js';
import { buildManifestView, buildSlotView, type RoutingSnapshot } from '../proxy/routing-snapshot.js';
import type { Upstream } from '../proxy/upstream.js';
import { EventBus } from './operation-events.js';
import { OperationLock } from './operation-lock.js';
import { SlotswapError } from '../errors.js';

export interface DrainProgress {
  slot: SlotName;
  startedAt: number;
  graceUntil: number;
  deadline: number;
  lastBusyAt: number;
  controller: AbortController;
  done: Promise<void>;
}

export class Orchestrator {
  readonly config: Config;
  readonly store: StateStore;
  readonly supervisor: Supervisor;
  readonly events = new EventBus();
  readonly lock = new OperationLock();
  readonly upstreams: Record<SlotName, Upstream[]> = { a: [], b: [] };
  readonly drains = new Map<SlotName, DrainProgress>();
  /** Instances restarted after a crash, per slot (for status and metrics). */
  readonly restarts: Record<SlotName, number> = { a: 0, b: 0 };
  /** Restart times per instance label, for the backoff and the crash-loop bound. */
  readonly restartTimes = new Map<string, number[]>();
  /** Instance labels given up on after a crash loop. */
  readonly crashLoops = new Set<string>();
  proxy: ProxyServer | null = null;

  constructor(config: Config, store: StateStore, supervisor: Supervisor) {
    this.config = config;
    this.store = store;
    this.supervisor = supervisor;
  }

  /** The data plane, for operations that hold requests; it is set before the admin API accepts calls. */
  requireProxy(): ProxyServer {
    if (!this.proxy) throw new SlotswapError('internal', 'the proxy is not running');
    return this.proxy;
  }

  buildSnapshot(): RoutingSnapshot {
    const data = this.store.data;
    const prefix = this.config.proxy.slotPathPrefix;
    const view = (name: SlotName) => {
      const record = data.slots[name];
      return buildSlotView(
        {
          name,
          state: record.state,
          version: record.release?.version ?? null,
          minCompatibleVersion: record.release?.minCompatibleVersion ?? null,
          upstreams: this.upstreams[name],
        },
        prefix,
      );
    };
    const slots = { a: view('a'), b: view('b') };
    return { live: data.live ? slots[data.live] : null, slots, manifest: buildManifestView(data.manifest) };
  }

  /** The one place the proxy's view changes: a single assignment of a freshly built snapshot. */
  publish(reason: string): RoutingSnapshot {
    const snapshot = this.buildSnapshot();
    this.proxy?.publish(snapshot);
    this.events.publish({ type: 'state', at: new Date().toISOString(), reason });
    return snapshot;
  }

  /** Persists an operation's end and tells every listener (CLI stream, admin page, SSE) how it ended. */
  async endOperation(entry: HistoryEntry, changes: Partial<HistoryEntry>): Promise<void> {
    if (!(await this.store.endOperation(entry, changes))) return;
    this.events.publish({
      type: 'result',
      id: entry.id,
      op: entry.op,
      ok: entry.outcome === 'ok',
      at: entry.endedAt ?? new Date().toISOString(),
      outcome: entry.outcome,
      fromVersion: entry.fromVersion,
      toVersion: entry.toVersion,
      ...(entry.error ? { message: entry.error } : {}),
    });
  }

  busy(slot: SlotName): number {
    let total = 0;
    for (const up of this.upstreams[slot]) total += up.busy;
    return total;
  }

  inFlightEverywhere(): number {
    return SLOT_NAMES.reduce((sum, slot) => sum + this.busy(slot), 0);
  }

  liveVersion(): string | null {
    const live = this.store.data.live;
    return live ? (this.store.data.slots[live].release?.version ?? null) : null;
  }
}
