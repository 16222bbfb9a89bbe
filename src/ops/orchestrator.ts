// The daemon's parts wired together: config, state store, slot runtime, operation runner, proxy; it builds and
// publishes the routing snapshot, the one thing the proxy reads.
import type { Config, SlotName } from '../config/config-types.js';
import type { StateStore } from '../state/state-store.js';
import type { HistoryEntry } from '../state/state-types.js';
import type { Supervisor } from '../slots/supervisor.js';
import type { ProxyServer } from '../proxy/proxy-server.js';
import { buildManifestView, buildSlotView, type RoutingSnapshot } from '../proxy/routing-snapshot.js';
import type { Upstream } from '../proxy/upstream.js';
import { buildMaintenanceView } from '../proxy/maintenance-gate.js';
import { withMaintenance } from './manifest.js';
import { SlotRuntime } from '../slots/slot-runtime.js';
import { EventBus } from './operation-events.js';
import { OperationLock } from './operation-lock.js';
import { OperationRunner } from './operation-runner.js';
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
  /** Held only by the runner: no operation module takes or lets go of it. */
  readonly lock = new OperationLock();
  readonly runner: OperationRunner;
  readonly runtime: SlotRuntime;
  /** Drains in progress; drain.ts alone writes it. */
  readonly drains = new Map<SlotName, DrainProgress>();
  /** The maintenance page the state names (kept out of the state file), loaded at start-up and by `maintenance on`. */
  maintenancePage: Buffer | null = null;
  proxy: ProxyServer | null = null;

  constructor(config: Config, store: StateStore, supervisor: Supervisor) {
    this.config = config;
    this.store = store;
    this.supervisor = supervisor;
    this.runtime = new SlotRuntime(config, supervisor, (reason) => this.publish(reason));
    this.runner = new OperationRunner(this);
  }

  /** Read-only view of each slot's upstreams (frozen lists owned by the slot runtime). */
  get upstreams(): Record<SlotName, readonly Upstream[]> {
    return { a: this.runtime.upstreams('a'), b: this.runtime.upstreams('b') };
  }

  get restarts(): Record<SlotName, number> {
    return { a: this.runtime.restarts('a'), b: this.runtime.restarts('b') };
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
          upstreams: this.runtime.upstreams(name),
        },
        prefix,
      );
    };
    const slots = { a: view('a'), b: view('b') };
    const manifest = buildManifestView(withMaintenance(data.manifest, data.maintenance));
    const canary = data.canary ? { slot: data.canary.slot, weight: data.canary.weight } : null;
    return { live: data.live ? slots[data.live] : null, slots, manifest, maintenance: buildMaintenanceView(data.maintenance, this.maintenancePage), canary };
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
    let known = true;
    try {
      known = await this.store.endOperation(entry, changes);
    } finally {
      // Listeners hear the end even when the write failed: the entry says so in memory, and the CLI must not hang.
      if (known) this.#publishResult(entry);
    }
  }

  #publishResult(entry: HistoryEntry): void {
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
    return this.runtime.busy(slot);
  }

  inFlightEverywhere(): number {
    return this.runtime.inFlightEverywhere();
  }

  liveVersion(): string | null {
    const live = this.store.data.live;
    return live ? (this.store.data.slots[live].release?.version ?? null) : null;
  }
}
