// The slot runtime: what runs in each slot right now (instances, their upstreams, restarts) behind methods.
// It is the only writer of that state; the routing snapshot is rebuilt from frozen copies of it.
import path from 'node:path';
import type { Config, SlotName } from '../config/config-types.js';
import { SLOT_NAMES } from '../config/config-types.js';
import { Upstream, waitIdle } from '../proxy/upstream.js';
import type { ReleaseInfo } from '../state/state-types.js';
import type { HealthProgressListener, Supervisor } from './supervisor.js';
import type { InstanceProcess } from './instance-process.js';
import type { PidRecord } from './pid-file.js';
import { waitHealthy } from './health-check.js';

export interface StopResult {
  closedWebSockets: number;
  waitedMs: number;
}

/** What closeLongLived did: WebSockets sent a close frame 1001, event streams ended. */
export interface LongLivedClosed {
  webSockets: number;
  eventStreams: number;
}

export class SlotRuntime {
  readonly #config: Config;
  readonly #supervisor: Supervisor;
  readonly #changed: (reason: string) => void;
  #upstreams: Record<SlotName, readonly Upstream[]> = { a: Object.freeze([]), b: Object.freeze([]) };
  readonly #restarts: Record<SlotName, number> = { a: 0, b: 0 };
  /** Restart times per instance label, for the backoff and the crash-loop bound. */
  readonly #restartTimes = new Map<string, number[]>();
  readonly #crashLoops = new Set<string>();
  /** Slots an operation started and has not yet seen healthy: an exit there is its health wait's to report, not a crash. */
  readonly #starting = new Set<SlotName>();
  /** Who wants the health waits' progress (the deploy route streams it). */
  readonly #healthListeners = new Set<HealthProgressListener>();

  /** `changed` publishes a new routing snapshot; it is called after every change routing depends on. */
  constructor(config: Config, supervisor: Supervisor, changed: (reason: string) => void) {
    this.#config = config;
    this.#supervisor = supervisor;
    this.#changed = changed;
  }

  /** A frozen list: a published snapshot that holds it can never see a later change. */
  upstreams(slot: SlotName): readonly Upstream[] {
    return this.#upstreams[slot];
  }

  #setUpstreams(slot: SlotName, list: Upstream[]): void {
    this.#upstreams = { ...this.#upstreams, [slot]: Object.freeze(list) };
  }

  busy(slot: SlotName): number {
    let total = 0;
    for (const up of this.#upstreams[slot]) total += up.busy;
    return total;
  }

  /** Open WebSockets on the slot's instances (those being closed included, until their sockets close). */
  webSockets(slot: SlotName): number {
    let total = 0;
    for (const up of this.#upstreams[slot]) total += up.webSockets.size;
    return total;
  }

  /** The slot is going away: each WebSocket gets close 1001 and each event stream its end (each once; safe to repeat). */
  closeLongLived(slot: SlotName): LongLivedClosed {
    const closed: LongLivedClosed = { webSockets: 0, eventStreams: 0 };
    for (const up of this.#upstreams[slot]) {
      closed.webSockets += up.closeWebSockets();
      closed.eventStreams += up.endEventStreams();
    }
    return closed;
  }

  inFlightEverywhere(): number {
    return SLOT_NAMES.reduce((sum, slot) => sum + this.busy(slot), 0);
  }

  restarts(slot: SlotName): number {
    return this.#restarts[slot];
  }

  crashLooping(label: string): boolean {
    return this.#crashLoops.has(label);
  }

  /** A hotswap executable runs from its own folder; a release from its slot folder. */
  #dir(slot: SlotName): string {
    return this.#config.mode === 'hotswap' ? path.dirname(this.#config.hotswap.exeFile) : this.#config.slots[slot].dir;
  }

  /** Spawns the slot's instances; health is a separate step. A new start clears the old processes' crash marks. */
  async spawn(slot: SlotName, release: ReleaseInfo, command?: string[]): Promise<number[]> {
    for (let i = 0; i < this.#config.instances; i++) {
      this.#crashLoops.delete(`${slot}-${i + 1}`);
      this.#restartTimes.delete(`${slot}-${i + 1}`);
    }
    this.#starting.add(slot);
    try {
      const instances = await this.#supervisor.spawn(this.#supervisor.startRequest(slot, release, this.#dir(slot), command));
      return instances.map((i) => i.pid ?? 0);
    } catch (err) {
      this.#starting.delete(slot);
      throw err;
    }
  }

  /** True from spawn until its health wait ends (or the slot stops): crash recovery leaves such a slot alone. */
  starting(slot: SlotName): boolean {
    return this.#starting.has(slot);
  }

  /**
   * Takes over the instances a previous daemon left running in the slot, if every one is the process recorded and
   * answers its health check; routeAdopted then routes to them. On any failure nothing is stopped
   * (the caller decides: a handover leaves them to the old daemon, a start after a crash reaps them) and `why` says it.
   */
  async adopt(slot: SlotName, release: ReleaseInfo, records: readonly PidRecord[]): Promise<{ pids: number[] } | { why: string }> {
    const taken = await this.#supervisor.adopt(this.#supervisor.startRequest(slot, release, this.#dir(slot)), records);
    if ('why' in taken) return taken;
    const { intervalMs, timeoutMs } = this.#config.health;
    try {
      await Promise.all(taken.instances.map((instance) => waitHealthy(instance, { path: release.health, intervalMs: Math.min(intervalMs, 100), timeoutMs })));
    } catch (err) {
      this.#supervisor.forget(slot);
      return { why: (err as Error).message };
    }
    return { pids: taken.instances.map((i) => i.pid!) };
  }

  /** Routes to a slot's adopted instances: start-up does it once recovery is over, as a restore would. */
  routeAdopted(slot: SlotName): void {
    if (this.#upstreams[slot].length > 0) return;
    this.#setUpstreams(slot, this.#supervisor.instances(slot).map((instance, index) => new Upstream(slot, index, instance.spec.port, instance.pid)));
    this.#changed(`slot ${slot} adopted`);
  }

  /** Listens to every health wait's progress until the returned function is called. */
  onHealthProgress(listener: HealthProgressListener): () => void {
    this.#healthListeners.add(listener);
    return () => this.#healthListeners.delete(listener);
  }

  /** Waits for health, then gives each instance its own upstream (agent, in-flight counter) and publishes. */
  async awaitHealthy(slot: SlotName, release: ReleaseInfo, fast = false): Promise<string[]> {
    const report: HealthProgressListener = (...args) => {
      for (const listener of this.#healthListeners) listener(...args);
    };
    const bodies = await this.#supervisor.awaitHealthy(slot, release.health, fast, report).finally(() => this.#starting.delete(slot));
    this.#setUpstreams(
      slot,
      this.#supervisor.instances(slot).map((instance, index) => new Upstream(slot, index, instance.spec.port, instance.pid)),
    );
    this.#changed(`slot ${slot} healthy`);
    return bodies;
  }

  /**
   * The one teardown path: WebSockets sent close 1001 and event streams ended, other in-flight requests finish
   * (bounded), agents destroyed, then the process groups stopped. Resolves once the processes are gone.
   */
  async stop(slot: SlotName): Promise<StopResult> {
    const { stopTimeoutMs } = this.#config.drain;
    const started = Date.now();
    const ups = this.#upstreams[slot];
    // Counts only those not already sent a close during the drain's grace.
    const closedWebSockets = this.closeLongLived(slot).webSockets;
    await waitIdle(ups, stopTimeoutMs);
    for (const up of ups) up.destroy();
    this.#setUpstreams(slot, []);
    this.#changed(`slot ${slot} instances stopping`);
    this.#starting.delete(slot);
    await this.#supervisor.stop(slot, stopTimeoutMs);
    return { closedWebSockets, waitedMs: Date.now() - started };
  }

  /** Stops every slot at daemon shutdown, after the proxy stopped taking requests. */
  async stopAll(): Promise<void> {
    for (const slot of SLOT_NAMES) for (const up of this.#upstreams[slot]) up.destroy();
    this.#upstreams = { a: Object.freeze([]), b: Object.freeze([]) };
    await this.#supervisor.stopAll(this.#config.drain.stopTimeoutMs);
  }

  // ---- crash recovery (instance-recovery.ts drives these) ----

  /** An instance died: no request may be sent to its sockets until a new process is healthy. */
  instanceExited(slot: SlotName, index: number): void {
    this.#upstreams[slot][index]?.destroy();
    this.#changed(`instance ${slot}-${index + 1} exited`);
  }

  restartTimes(label: string): number[] {
    let times = this.#restartTimes.get(label);
    if (!times) {
      times = [];
      this.#restartTimes.set(label, times);
    }
    return times;
  }

  markCrashLoop(label: string): void {
    this.#crashLoops.add(label);
  }

  /** A restarted instance takes its slot's place in a new upstream list. */
  replaceInstance(slot: SlotName, index: number, fresh: InstanceProcess): void {
    const list = [...this.#upstreams[slot]];
    list[index]?.destroy();
    list[index] = new Upstream(slot, index, fresh.spec.port, fresh.pid);
    this.#setUpstreams(slot, list);
    this.#restarts[slot]++;
    this.#crashLoops.delete(fresh.spec.label);
    this.#changed(`instance ${fresh.spec.label} restarted (pid ${fresh.pid})`);
  }
}
