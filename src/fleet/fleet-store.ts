// The fleet's shared state in etcd: the release record (compare-revision writes only), node registrations under a
// lease, and the lease-bound operation lock. Every etcd failure becomes one "etcd is unreachable" error (exit 3).
import { createRequire } from 'node:module';
import type { Etcd3, Lease, Lock, Namespace, Watcher } from 'etcd3';
import type { IPolicy } from 'cockatiel';
import { SlotswapError } from '../errors.js';
import type { SlotName } from '../config/config-types.js';
import type { Manifest, Notice } from '../state/state-types.js';
import type { FleetConfig } from './fleet-config.js';
import { FLEET_ETCD_CALL_TIMEOUT_MS, FLEET_ETCD_HOST_RETRY_MS } from '../defaults.js';
import type { FleetCanary } from './fleet-canary-record.js';
import type { FleetHistoryEntry } from './fleet-history.js';

// etcd3 (gRPC, ~13 MB resident) is loaded only by a daemon whose config has `fleet`.
const requireOnDemand = createRequire(import.meta.url);
function etcd3(): typeof import('etcd3') {
  return requireOnDemand('etcd3') as typeof import('etcd3');
}

/**
 * etcd3's per-member circuit breaker, tried again after FLEET_ETCD_HOST_RETRY_MS instead of 5 s: after an outage every
 * member's breaker is open, and a node's registration (one call a second) waited up to 5 s more for one to let it pass.
 * cockatiel is etcd3's own policy library, loaded from etcd3's dependencies.
 */
function etcdHostPolicy(): IPolicy {
  const cockatiel = createRequire(requireOnDemand.resolve('etcd3'))('cockatiel') as typeof import('cockatiel');
  return cockatiel.circuitBreaker(cockatiel.handleWhen(etcd3().isRecoverableError), { halfOpenAfter: FLEET_ETCD_HOST_RETRY_MS, breaker: new cockatiel.ConsecutiveBreaker(3) });
}

/** The fleet's live release: what every node serves once it has followed the last flip. */
export interface FleetRelease {
  deployId: string;
  version: string;
  sha256: string;
  minCompatibleVersion: string;
  /** The fleet's manifest (AppRun.json), built once by the coordinator so every node serves the same document. */
  manifest: Manifest;
  notice: Notice | null;
  /** Each node's slot that serves it (a node's slots need not match the others'). */
  slots: Record<string, SlotName>;
  /** Admin URLs of nodes that keep the archive (GET /api/fleet/archive/<sha256>): a starting node fetches it there. */
  archiveFrom: string[];
  coordinator: string;
  at: string;
  /** Where slotswap flip / rollback take the fleet back to: the release before, or what the nodes served before the first. */
  previous?: FleetReleaseRef | null;
}

export interface FleetReleaseRef {
  deployId: string;
  version: string;
  sha256: string;
  minCompatibleVersion: string;
}

/** What a node publishes about itself under nodes/<name>, bound to its lease. */
export interface NodeRecord {
  name: string;
  advertiseUrl: string;
  live: SlotName | null;
  version: string | null;
  healthy: number;
  total: number;
  heartbeatAt: string;
  /** Whether the node serves the fleet's release with its settings (its /_slotswap/ready), and why not. */
  ready?: boolean;
  reason?: string | null;
}

/** The fleet's settings beside its release: the notice, maintenance mode and the operator's hold (fleet-settings.ts). */
export interface FleetSettings {
  notice: Notice | null;
  /** When the notice last changed: every node's AppRun.json takes it as updatedAt, so the documents stay identical. */
  noticeAt: string | null;
  maintenance: FleetMaintenance | null;
  hold: boolean;
  by: string;
  at: string;
}

/** Maintenance as the fleet keeps it: the page itself travels in the record (at most 1 MiB, under etcd's 1.5 MiB). */
export interface FleetMaintenance {
  message: string | null;
  page: string | null;
  pageFile: string | null;
  retryAfterS: number;
  since: string;
  actor: string;
}

const RELEASE_KEY = 'release';
const SETTINGS_KEY = 'settings';
const LOCK_KEY = 'lock';
const NODES = 'nodes/';
const CANARY_KEY = 'canary';
const HISTORY = 'history/';

export function etcdUnreachable(fleet: FleetConfig, err: unknown): SlotswapError {
  const why = err instanceof Error ? err.message.split('\n')[0] : String(err);
  return new SlotswapError('unreachable', `etcd is unreachable at ${fleet.etcd.endpoints.join(', ')} (${why}); the proxies keep serving their live slot; retry once etcd is back`, { etcd: 'unreachable' });
}

export class FleetStore {
  readonly fleet: FleetConfig;
  readonly #client: Etcd3;
  readonly #ns: Namespace;
  #lease: Lease | null = null;
  /** false after an etcd call failed, true after one succeeded: what status reports. */
  reachable = true;
  lastError: string | null = null;

  constructor(fleet: FleetConfig) {
    this.fleet = fleet;
    this.#client = new (etcd3().Etcd3)({
      hosts: fleet.etcd.endpoints,
      dialTimeout: FLEET_ETCD_CALL_TIMEOUT_MS,
      faultHandling: { host: () => etcdHostPolicy() },
      // Streams (watch, keep-alive) stay open; a unary call that cannot be answered in time means etcd is away.
      defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + FLEET_ETCD_CALL_TIMEOUT_MS }),
    });
    this.#ns = this.#client.namespace(fleet.etcd.prefix);
  }

  /** Runs one etcd call: failures other than `passThrough` become the unreachable error, and mark etcd unreachable. */
  async #call<T>(run: () => Promise<T>, passThrough: (err: unknown) => boolean = () => false): Promise<T> {
    try {
      const value = await run();
      this.reachable = true;
      this.lastError = null;
      return value;
    } catch (err) {
      if (passThrough(err) || err instanceof SlotswapError) throw err;
      this.reachable = false;
      this.lastError = (err as Error).message;
      throw etcdUnreachable(this.fleet, err);
    }
  }

  /** The fleet's release and the revision it was written at ("0": none yet), for a compare-revision write. */
  async readRelease(): Promise<{ release: FleetRelease | null; revision: string }> {
    return this.#call(async () => {
      const res = await this.#ns.get(RELEASE_KEY).exec();
      const kv = res.kvs[0];
      if (!kv) return { release: null, revision: '0' };
      return { release: JSON.parse(kv.value.toString('utf8')) as FleetRelease, revision: String(kv.mod_revision) };
    });
  }

  /** Writes the release only if nobody wrote it since `revision`: the fleet's one flip transaction. */
  async commitRelease(next: FleetRelease, revision: string): Promise<boolean> {
    return this.#call(async () => {
      const result = await this.#ns.if(RELEASE_KEY, 'Mod', '==', revision).then(this.#ns.put(RELEASE_KEY).value(JSON.stringify(next))).commit();
      return result.succeeded;
    });
  }

  /** The fleet's settings and their revision ("0": never written), for a compare-revision write. */
  async readSettings(): Promise<{ settings: FleetSettings | null; revision: string }> {
    return this.#call(async () => {
      const kv = (await this.#ns.get(SETTINGS_KEY).exec()).kvs[0];
      if (!kv) return { settings: null, revision: '0' };
      return { settings: JSON.parse(kv.value.toString('utf8')) as FleetSettings, revision: String(kv.mod_revision) };
    });
  }

  /** Writes the settings only if nobody wrote them since `revision`; returns the new revision, or null on a conflict. */
  async commitSettings(next: FleetSettings, revision: string): Promise<string | null> {
    return this.#call(async () => {
      const result = await this.#ns.if(SETTINGS_KEY, 'Mod', '==', revision).then(this.#ns.put(SETTINGS_KEY).value(JSON.stringify(next))).commit();
      return result.succeeded ? String(result.header.revision) : null;
    });
  }

  /** Calls `onSettings` with every write of the settings key (and its revision), and `onReconnect` after etcd was away. */
  async watchSettings(onSettings: (settings: FleetSettings, revision: string) => void, onReconnect: () => void): Promise<Watcher> {
    const watcher = await this.#ns.watch().key(SETTINGS_KEY).create();
    watcher.on('put', (kv) => onSettings(JSON.parse(kv.value.toString('utf8')) as FleetSettings, String(kv.mod_revision)));
    watcher.on('connected', () => onReconnect());
    watcher.on('error', () => {});
    return watcher;
  }

  /** Takes the fleet's operation lock; it lives on a lease, so a coordinator that dies lets go of it. */
  async lock(holder: string): Promise<{ release: () => Promise<void> }> {
    const lock: Lock = this.#ns.lock(LOCK_KEY).ttl(this.fleet.leaseTtlSeconds);
    await this.#call(
      () => lock.acquire(),
      (err) => err instanceof etcd3().EtcdLockFailedError,
    ).catch((err: unknown) => {
      if (err instanceof etcd3().EtcdLockFailedError) throw new SlotswapError('conflict', `another fleet operation holds the fleet lock in etcd; wait for it to finish (slotswap status --fleet), then retry (asked by ${holder})`);
      throw err;
    });
    return { release: () => lock.release().catch(() => {}) };
  }

  /** (Re)writes this node's registration under its lease; a lease that was lost is replaced. */
  async register(record: NodeRecord): Promise<void> {
    await this.#call(async () => {
      if (!this.#lease || this.#lease.revoked()) {
        const lease = this.#ns.lease(this.fleet.leaseTtlSeconds);
        lease.on('lost', () => {
          if (this.#lease === lease) this.#lease = null;
        });
        this.#lease = lease;
      }
      await this.#lease.put(`${NODES}${record.name}`).value(JSON.stringify(record)).exec();
    });
  }

  async nodes(): Promise<NodeRecord[]> {
    return this.#call(async () => {
      const all = await this.#ns.getAll().prefix(NODES).strings();
      return Object.values(all).map((text) => JSON.parse(text) as NodeRecord).sort((x, y) => x.name.localeCompare(y.name));
    });
  }

  /** Calls `onRelease` for every write of the release key, and again after the watch reconnects (etcd was away). */
  async watchRelease(onRelease: (release: FleetRelease) => void, onReconnect: () => void): Promise<Watcher> {
    const watcher = await this.#ns.watch().key(RELEASE_KEY).create();
    watcher.on('put', (kv) => onRelease(JSON.parse(kv.value.toString('utf8')) as FleetRelease));
    watcher.on('connected', () => onReconnect());
    watcher.on('error', () => {});
    return watcher;
  }

  /** The fleet's running canary and the revision it was written at ("0": none), for a compare-revision write. */
  async readCanary(): Promise<{ canary: FleetCanary | null; revision: string }> {
    return this.#call(async () => {
      const kv = (await this.#ns.get(CANARY_KEY).exec()).kvs[0];
      if (!kv) return { canary: null, revision: '0' };
      return { canary: JSON.parse(kv.value.toString('utf8')) as FleetCanary, revision: String(kv.mod_revision) };
    });
  }

  /**
   * Writes (or, with null, deletes) the canary only if neither it nor the release was written since the revisions
   * read: a canary always runs beside the release it was started on. Returns the new revision, or null on a conflict.
   */
  async commitCanary(next: FleetCanary | null, canaryRevision: string, releaseRevision: string): Promise<string | null> {
    return this.#call(async () => {
      const write = next ? this.#ns.put(CANARY_KEY).value(JSON.stringify(next)) : this.#ns.delete().key(CANARY_KEY);
      const result = await this.#ns.if(CANARY_KEY, 'Mod', '==', canaryRevision).and(RELEASE_KEY, 'Mod', '==', releaseRevision).then(write).commit();
      return result.succeeded ? String(result.header.revision) : null;
    });
  }

  /** Calls `onCanary` with every write (null: deleted) of the canary key, and `onReconnect` after etcd was away. */
  async watchCanary(onCanary: (canary: FleetCanary | null, revision: string) => void, onReconnect: () => void): Promise<Watcher> {
    const watcher = await this.#ns.watch().key(CANARY_KEY).create();
    watcher.on('put', (kv) => onCanary(JSON.parse(kv.value.toString('utf8')) as FleetCanary, String(kv.mod_revision)));
    watcher.on('delete', (kv) => onCanary(null, String(kv.mod_revision)));
    watcher.on('connected', () => onReconnect());
    watcher.on('error', () => {});
    return watcher;
  }

  /** Appends one entry under history/ (its key sorts by time), then deletes the oldest beyond `keep`. */
  async appendHistory(entry: FleetHistoryEntry, keep: number): Promise<void> {
    await this.#call(async () => {
      await this.#ns.put(`${HISTORY}${historyKey(entry)}`).value(JSON.stringify(entry)).exec();
      const keys = (await this.#ns.getAll().prefix(HISTORY).keys()).sort();
      const old = keys.slice(0, Math.max(0, keys.length - keep));
      if (old.length > 0) await this.#ns.if(old[0]!, 'Create', '>', 0).then(...old.map((k) => this.#ns.delete().key(k))).commit();
    });
  }

  /** The fleet's history, newest first, at most `limit` entries. */
  async history(limit: number): Promise<FleetHistoryEntry[]> {
    return this.#call(async () => {
      const all = await this.#ns.getAll().prefix(HISTORY).sort('Key', 'Descend').limit(limit).strings();
      return Object.entries(all)
        .sort(([x], [y]) => (x < y ? 1 : -1))
        .map(([, text]) => JSON.parse(text) as FleetHistoryEntry);
    });
  }

  /** Leaves the fleet at once (the registration's lease is revoked) and closes the client; leave: false is a crash. */
  async close(options: { leave?: boolean } = {}): Promise<void> {
    const lease = this.#lease;
    this.#lease = null;
    if (lease && options.leave === false) lease.release();
    else if (lease) await lease.revoke({ deadline: Date.now() + FLEET_ETCD_CALL_TIMEOUT_MS }).catch(() => {});
    this.#client.close();
  }
}

/** history/<startedAt as epoch ms, 13 digits>-<id>: keys sort by start time. */
function historyKey(entry: FleetHistoryEntry): string {
  return `${String(Date.parse(entry.startedAt)).padStart(13, '0')}-${entry.id}`;
}
