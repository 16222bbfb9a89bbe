// A fleet node's agent: registers the node under its lease, watches the fleet's release key and follows each flip
// (the data plane never asks etcd anything), brings a starting node onto the fleet's release, and keeps what it
// prepared for the flip (fleet-prepare-here.ts) and why it is not ready (fleet-ready-route.ts answers with it).
import type { Watcher } from 'etcd3';
import type { SlotName } from '../config/config-types.js';
import type { Orchestrator } from '../ops/orchestrator.js';
import { toSlotswapError } from '../errors.js';
import { FLEET_ETCD_HOST_RETRY_MS, FLEET_HEARTBEAT_INTERVAL_MS, FLEET_RECONCILE_RETRY_MAX_MS, FLEET_RECONCILE_RETRY_MS } from '../defaults.js';
import type { FleetConfig } from './fleet-config.js';
import { FleetStore, type FleetRelease, type FleetSettings, type NodeRecord } from './fleet-store.js';
import { applySettings } from './fleet-settings.js';
import { followRelease, withLocalLock } from './fleet-node.js';
import { pruneArchives } from './fleet-archives.js';
import { bringUp } from './fleet-prepare-here.js';
import { installReadyRoute } from './fleet-ready-route.js';
import { followCanary, syncCanary } from './fleet-canary-node.js';

const agents = new WeakMap<Orchestrator, FleetAgent>();

/** The fleet agent of this daemon, or null when the config has no "fleet". */
export function fleetAgentOf(orch: Orchestrator): FleetAgent | null {
  return agents.get(orch) ?? null;
}

export class FleetAgent {
  readonly orch: Orchestrator;
  readonly fleet: FleetConfig;
  readonly store: FleetStore;
  readonly token: string;
  /** Archives (sha256) a deploy coordinated or prepared here still needs: never pruned. */
  readonly archivesInUse = new Set<string>();
  /** deployId -> the slot this node prepared it in, until the flip or the abort. */
  readonly prepared = new Map<string, SlotName>();
  /** The fleet release this node serves (null: not yet on the fleet's release). */
  liveDeployId: string | null = null;
  /** When (epoch ms) this node's proxy switched to liveDeployId: the coordinator measures the flip's propagation. */
  followedAt: number | null = null;
  /** The last followed flip's switch (snapshot built and assigned), in milliseconds. */
  switchMs = 0;
  /** Why the node is not ready, or null once it serves the fleet's live release. */
  notReady: string | null = 'the node is starting';
  /** The fleet's settings (notice, maintenance, hold) this node applied last, and their etcd revision. */
  settings: FleetSettings | null = null;
  settingsRevision = 0;
  /** Why the fleet's settings are not applied yet, or null once they are: the node is not ready before. */
  settingsPending: string | null = "the fleet's settings are not applied yet";
  #applying: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | null = null;
  #watcher: Watcher | null = null;
  /** The `at` of the last release this node switched to (ISO time, set by its coordinator). */
  #followedReleaseAt: string | null = null;
  #settingsWatcher: Watcher | null = null;
  #canaryWatcher: Watcher | null = null;
  #following: Promise<void> = Promise.resolve();
  #closed = false;
  #retry: NodeJS.Timeout | null = null;
  #retryMs = FLEET_RECONCILE_RETRY_MS;

  constructor(orch: Orchestrator, fleet: FleetConfig, token: string) {
    this.orch = orch;
    this.fleet = fleet;
    this.token = token;
    this.store = new FleetStore(fleet);
  }

  get name(): string {
    return this.fleet.node;
  }

  /** Why the node answers 503 on /_slotswap/ready, or null: it serves the fleet's release with the fleet's settings. */
  get readyReason(): string | null {
    return this.notReady ?? this.settingsPending;
  }

  record(): NodeRecord {
    const live = this.orch.store.data.live;
    const ups = live ? this.orch.runtime.upstreams(live) : [];
    return { name: this.name, advertiseUrl: this.fleet.advertiseUrl, live, version: this.orch.liveVersion(), healthy: ups.filter((u) => u.healthy).length, total: ups.length, heartbeatAt: new Date().toISOString(), ready: this.readyReason === null, reason: this.readyReason };
  }

  /** Registers, brings the node onto the fleet's live release (when etcd has one), then follows every flip. */
  async start(): Promise<void> {
    this.#nextHeartbeat((await this.#heartbeat()) ? FLEET_HEARTBEAT_INTERVAL_MS : FLEET_ETCD_HOST_RETRY_MS);
    try {
      await this.#reconcile();
    } catch (err) {
      // On the release already (notReady null): it was the settings that could not be read.
      if (this.notReady === null) this.settingsPending = `cannot read the fleet's settings: ${toSlotswapError(err).message}`;
      else this.notReady = `cannot read the fleet's live release: ${toSlotswapError(err).message}`;
      console.error(`slotswap: fleet: ${this.readyReason}`);
      this.#retryLater();
    }
    void this.#watch();
  }

  /** Watches the release key; while etcd cannot be reached the watch is tried again, then the node reconciles. */
  async #watch(): Promise<void> {
    while (!this.#closed) {
      try {
        this.#watcher ??= await this.store.watchRelease(
          (release) => this.#enqueue(release),
          () => void this.#reconcile().catch((err: unknown) => console.error(`slotswap: fleet: ${toSlotswapError(err).message}`)),
        );
        this.#settingsWatcher ??= await this.store.watchSettings(
          (settings, revision) => void this.applySettings(settings, revision).catch(() => this.#retryLater()),
          () => void this.syncSettings().catch(() => this.#retryLater()),
        );
        this.#canaryWatcher ??= await this.store.watchCanary(
          (canary, revision) => void followCanary(this, canary, Number(revision)).catch(() => {}),
          () => void syncCanary(this).catch(() => this.#retryLater()),
        );
        return;
      } catch (err) {
        console.error(`slotswap: fleet: cannot watch the fleet's release yet: ${toSlotswapError(err).message}`);
        await new Promise((r) => setTimeout(r, FLEET_HEARTBEAT_INTERVAL_MS));
      }
    }
  }

  /** One heartbeat at a time; after a failed one the next comes sooner, so a node registers again soon after an outage. */
  #nextHeartbeat(ms: number): void {
    if (this.#closed) return;
    this.#timer = setTimeout(() => void this.#heartbeat().then((ok) => this.#nextHeartbeat(ok ? FLEET_HEARTBEAT_INTERVAL_MS : FLEET_ETCD_HOST_RETRY_MS)), ms);
    this.#timer.unref();
  }

  async #heartbeat(): Promise<boolean> {
    try {
      await this.store.register(this.record());
      return true;
    } catch {
      // store.reachable says so; the proxy keeps serving what it serves
      return false;
    }
  }

  /**
   * Follows a release the coordinator just committed, without waiting for the watch or reading etcd (after an outage
   * the watch and the client's back-off can lag by seconds); without one, reads the fleet's release first.
   */
  followNow(release: FleetRelease | null): void {
    if (release) return this.#enqueue(release);
    this.#reconcile().catch((err: unknown) => {
      console.error(`slotswap: fleet: ${toSlotswapError(err).message}`);
      this.#retryLater();
    });
  }

  /** Reads the fleet's release and, if this node does not serve it yet, brings it up and follows it; then the settings. */
  async #reconcile(): Promise<void> {
    const { release } = await this.store.readRelease();
    if (!release) this.notReady = null;
    else {
      this.#enqueue(release);
      await this.#following;
    }
    await this.syncSettings();
    // A node that starts (or sees etcd again) while the fleet's canary runs brings it up and routes its weight.
    await syncCanary(this).catch((err: unknown) => console.error(`slotswap: fleet: could not bring up the fleet's canary: ${toSlotswapError(err).message}`));
  }

  /** Reads the fleet's settings from etcd and applies them here (the watch, a peer's POST /api/fleet/settings, a start). */
  async syncSettings(): Promise<void> {
    const { settings, revision } = await this.store.readSettings();
    if (!settings) {
      // The fleet never set any: this node's own notice and modes stay as they are.
      this.settingsPending = null;
      return;
    }
    await this.applySettings(settings, revision);
  }

  /** Applies settings read at `revision`, one change at a time and never an older one after a newer. */
  applySettings(settings: FleetSettings, revision: string): Promise<void> {
    const run = this.#applying.then(async () => {
      const rev = Number(revision);
      if (rev < this.settingsRevision || (rev === this.settingsRevision && this.settingsPending === null)) return;
      await applySettings(this.orch, settings, `fleet:${settings.by}`);
      this.settings = settings;
      this.settingsRevision = rev;
      this.settingsPending = null;
    });
    this.#applying = run.catch((err: unknown) => console.error(`slotswap: fleet: could not apply the fleet's settings (revision ${revision}): ${toSlotswapError(err).message}`));
    return run;
  }

  /** The release's manifest with the fleet's notice: a node that follows a flip serves the notice set since the deploy. */
  #withSettings(release: FleetRelease): FleetRelease {
    const s = this.settings;
    if (!s || JSON.stringify(s.notice) === JSON.stringify(release.manifest.notice)) return release;
    const updatedAt = s.noticeAt && s.noticeAt > release.manifest.updatedAt ? s.noticeAt : release.manifest.updatedAt;
    return { ...release, notice: s.notice, manifest: { ...release.manifest, notice: s.notice, updatedAt } };
  }

  /** Flips are followed one at a time, in the order etcd wrote them; a failed one is tried again later, backing off. */
  #enqueue(release: FleetRelease): void {
    this.#following = this.#following
      .then(() => this.#follow(release))
      .then(() => {
        this.#retryMs = FLEET_RECONCILE_RETRY_MS;
      })
      .catch((err: unknown) => {
        console.error(`slotswap: fleet: could not follow release ${release.version} (${release.deployId}), trying again in ${this.#retryMs} ms: ${toSlotswapError(err).message}`);
        this.#retryLater();
      });
  }

  #retryLater(): void {
    if (this.#retry || this.#closed) return;
    this.#retry = setTimeout(() => {
      this.#retry = null;
      this.#retryMs = Math.min(this.#retryMs * 2, FLEET_RECONCILE_RETRY_MAX_MS);
      this.#reconcile().catch(() => this.#retryLater());
    }, this.#retryMs);
    this.#retry.unref();
  }

  async #follow(committed: FleetRelease): Promise<void> {
    if (committed.deployId === this.liveDeployId) return;
    // A release handed over by its coordinator may come before a lagging watch replays an older one: never go back.
    if (this.#followedReleaseAt !== null && committed.at < this.#followedReleaseAt) return;
    const release = this.#withSettings(committed);
    const data = this.orch.store.data;
    const live = data.live;
    let slot = this.prepared.get(release.deployId) ?? null;
    if (!slot && live && data.slots[live].release?.sha256 === release.sha256 && data.manifest?.version === release.version) {
      // Already serving it (a restart of a node that was on it): nothing to flip.
      this.liveDeployId = release.deployId;
      this.#followedReleaseAt = release.at;
      this.notReady = null;
      return;
    }
    if (!slot) {
      this.notReady = `bringing up the fleet's release ${release.version}`;
      slot = (await bringUp(this, release)).slot;
    }
    // Marked at the switch itself (the manifest copy is written after it): what the coordinator waits for.
    const switched = () => {
      this.followedAt = Date.now();
      this.liveDeployId = release.deployId;
      this.#followedReleaseAt = release.at;
    };
    const before = { liveDeployId: this.liveDeployId, followedAt: this.followedAt, at: this.#followedReleaseAt };
    this.switchMs = await withLocalLock(() => followRelease(this.orch, release, slot!, `fleet:${release.coordinator}`, switched)).catch((err: unknown) => {
      // Switched, then switched back (the state file could not record it): not on the release, so tried again later.
      if (this.orch.store.data.live !== slot) [this.liveDeployId, this.followedAt, this.#followedReleaseAt] = [before.liveDeployId, before.followedAt, before.at];
      throw err;
    });
    this.prepared.delete(release.deployId);
    await pruneArchives(this.orch, new Set([release.sha256, ...this.archivesInUse])).catch(() => {});
    this.notReady = null;
    void this.#heartbeat();
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#retry) clearTimeout(this.#retry);
    if (this.#timer) clearTimeout(this.#timer);
    await this.#watcher?.cancel().catch(() => {});
    await this.#settingsWatcher?.cancel().catch(() => {});
    await this.#canaryWatcher?.cancel().catch(() => {});
    await this.store.close();
  }
}

/** The daemon's hook: null without "fleet"; with it, the agent exists and the ready route answers 503 until start(). */
export function createFleetAgent(orch: Orchestrator, token: string): FleetAgent | null {
  const fleet = orch.config.fleet;
  if (!fleet) return null;
  const agent = new FleetAgent(orch, fleet, token);
  agents.set(orch, agent);
  installReadyRoute(agent);
  // The registration leaves with the node: the others stop counting it at once, not after the lease's TTL.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void agent.close());
  return agent;
}

