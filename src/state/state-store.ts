// The daemon's only writer of state/slotswap.json: typed operations over lowdb, every write awaited.
import { chmod, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Low } from 'lowdb';
import { SlotswapError } from '../errors.js';
import {
  AUDIT_ACTION_MAX_BYTES,
  AUDIT_MAX_BYTES,
  AUDIT_MAX_ENTRIES,
  HISTORY_ERROR_MAX_BYTES,
  HISTORY_MAX_BYTES,
  HISTORY_MAX_ENTRIES,
  HISTORY_STEP_DETAIL_MAX_BYTES,
  LIVE_RELEASES_MAX_ENTRIES,
} from '../defaults.js';
import { cutToBytes, pushBounded, trimBounded } from './bounded-list.js';
import { PrivateJsonFile } from './private-json-file.js';
import type { SlotName } from '../config/config-types.js';
import { assertTransition, type SlotState } from './slot-states.js';
import { stateProblems } from './validate-state.js';
import {
  emptyState,
  type AuditEntry,
  type CanaryRecord,
  type HistoryEntry,
  type Journal,
  type MaintenanceRecord,
  type Manifest,
  type Notice,
  type PendingOperation,
  type ReleaseInfo,
  type StateData,
} from './state-types.js';

export class StateStore {
  readonly file: string;
  readonly #db: Low<StateData>;
  #commits = 0;
  /** A restart handed the state to a new daemon: changes stay in memory, the file is the new daemon's. */
  #writesPaused = false;

  private constructor(file: string, db: Low<StateData>) {
    this.file = file;
    this.#db = db;
  }

  /** Opens the state file; a corrupt, truncated or foreign file is refused and left untouched. */
  static async open(file: string): Promise<StateStore> {
    await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    // The folder holds the state (release env values), the token and the logs; mkdir's mode does not change an existing one.
    await chmod(path.dirname(file), 0o700);
    // Not JSONFilePreset (it silently switches to memory when NODE_ENV=test), nor JSONFile (it writes 0644).
    const db = new Low<StateData>(new PrivateJsonFile<StateData>(file), emptyState(new Date().toISOString()));
    try {
      await db.read();
    } catch (err) {
      throw new SlotswapError(
        'corrupt_state',
        `state file ${file} cannot be read (${(err as Error).message}); it was left untouched: restore it from a backup or move it away to start empty`,
      );
    }
    const problems = stateProblems(db.data);
    if (problems.length > 0) {
      throw new SlotswapError(
        'corrupt_state',
        `state file ${file} is not a valid slotswap state (${problems.join('; ')}); it was left untouched: restore it from a backup or move it away to start empty`,
      );
    }
    return new StateStore(file, db);
  }

  get data(): Readonly<StateData> {
    return this.#db.data;
  }

  /**
   * Applies a synchronous change and awaits the atomic write (lowdb's update() does not await fn).
   * A write that fails takes the change back, so status and routing never claim what the file does not say.
   */
  async #commit(change: (data: StateData) => void, options: { keepOnFailure?: boolean } = {}): Promise<void> {
    const data = this.#db.data;
    // Every mutator replaces slot records, manifest, notice and pending, and only pushes to the arrays: shallow copies suffice.
    const before: StateData = { ...data, slots: { ...data.slots }, history: [...data.history], audit: [...data.audit] };
    const sequence = ++this.#commits;
    change(data);
    if (this.#writesPaused) return;
    try {
      await this.#db.write();
    } catch (err) {
      // A later change was serialized on top of this one and may still be written: only the newest one may roll back.
      if (sequence === this.#commits && !options.keepOnFailure) Object.assign(data, before);
      throw new SlotswapError(
        'state_write_failed',
        `cannot write the state file ${this.file} (${(err as Error).message}); nothing of this call was recorded and the live slot keeps serving; free disk space or fix the permissions of ${path.dirname(this.file)}, then try again`,
      );
    }
  }

  async save(): Promise<void> {
    if (this.#writesPaused) return;
    await this.#db.write();
  }

  /** slotswap restart: while the new daemon takes over, only it writes the file; a failed restart resumes (the next write has it all). */
  pauseWrites(paused: boolean): void {
    this.#writesPaused = paused;
  }

  async setSlotState(slot: SlotName, state: SlotState): Promise<void> {
    const record = this.#db.data.slots[slot];
    if (record.state === state) return;
    assertTransition(slot, record.state, state);
    await this.#commit((d) => {
      d.slots[slot] = { ...record, state, since: new Date().toISOString() };
    });
  }

  /** Places a release in a slot that is idle; the slot becomes "starting". */
  async assignRelease(slot: SlotName, release: ReleaseInfo): Promise<void> {
    const record = this.#db.data.slots[slot];
    assertTransition(slot, record.state, 'starting');
    await this.#commit((d) => {
      d.slots[slot] = { state: 'starting', release, since: new Date().toISOString() };
    });
  }

  /** The flip as persisted: new live slot, old one draining, manifest rewritten, in one write. */
  async flip(to: SlotName, manifest: Manifest): Promise<void> {
    const data = this.#db.data;
    const from = data.live;
    assertTransition(to, data.slots[to].state, 'live');
    if (from && from !== to) assertTransition(from, data.slots[from].state, 'draining');
    const now = new Date().toISOString();
    await this.#commit((d) => {
      // A slot made live by a flip rolls back to the other slot, not to what an earlier in-place deploy replaced.
      d.slots[to] = { ...d.slots[to], state: 'live', since: now, replaced: null };
      if (from && from !== to) d.slots[from] = { ...d.slots[from], state: 'draining', since: now };
      d.live = to;
      d.manifest = manifest;
      d.liveReleases = withLiveRelease(d.liveReleases, d.slots[to].release);
    });
  }

  /** Recovery after a crash only: the processes are gone, so the recorded state is corrected without a transition. */
  async recoverSlot(slot: SlotName, state: SlotState): Promise<void> {
    await this.#commit((d) => {
      d.slots[slot] = { ...d.slots[slot], state, since: new Date().toISOString() };
    });
  }

  /** An in-place replacement: the slot keeps its state, its release (and the manifest, when live) change in one write. */
  async replaceRelease(slot: SlotName, release: ReleaseInfo, manifest: Manifest | null, replaced?: ReleaseInfo): Promise<void> {
    await this.#commit((d) => {
      d.slots[slot] = { ...d.slots[slot], release, since: new Date().toISOString(), ...(replaced ? { replaced } : {}) };
      if (manifest) d.manifest = manifest;
      if (d.live === slot) d.liveReleases = withLiveRelease(d.liveReleases, release);
      // The replacement is in place and healthy: nothing is left for start-up to undo.
      if (d.pending) d.pending = { ...d.pending, journal: null };
    });
  }

  /** The pending operation's irreversible step was undone: nothing is left for start-up to finish. */
  async clearJournal(): Promise<void> {
    const pending = this.#db.data.pending;
    if (!pending?.journal) return;
    await this.#commit((d) => {
      d.pending = { ...pending, journal: null };
    });
  }

  /** Marks history entries left "running" by a daemon that died as interrupted (start-up only). */
  async interruptRunning(reason: string): Promise<number> {
    const running = this.#db.data.history.filter((h) => h.outcome === 'running');
    if (running.length === 0 && !this.#db.data.pending) return 0;
    const endedAt = new Date().toISOString();
    await this.#commit((d) => {
      d.history = d.history.map((h) => (h.outcome === 'running' ? { ...h, outcome: 'interrupted', error: reason, endedAt } : h));
      d.pending = null;
    });
    return running.length;
  }

  /** Journals an irreversible step of the pending operation before it is taken. */
  async setJournal(historyId: string, journal: Journal | null): Promise<void> {
    const pending = this.#db.data.pending;
    if (!pending || pending.historyId !== historyId) return;
    await this.#commit((d) => {
      d.pending = { ...pending, journal };
    });
  }

  /** Starts, changes or ends (null) the canary. */
  async setCanary(canary: CanaryRecord | null): Promise<void> {
    await this.#commit((d) => {
      d.canary = canary;
    });
  }

  async setManifest(manifest: Manifest): Promise<void> {
    await this.#commit((d) => {
      d.manifest = manifest;
    });
  }

  async setNotice(notice: Notice | null, manifest: Manifest | null): Promise<void> {
    await this.#commit((d) => {
      d.notice = notice;
      d.manifest = manifest;
    });
  }

  /** Maintenance mode on (a record) or off (null), with its history entry in the same write. */
  async setMaintenance(record: MaintenanceRecord | null, entry: HistoryEntry): Promise<void> {
    entry.endedAt ??= new Date().toISOString();
    await this.#commit((d) => {
      d.maintenance = record;
      pushBounded(d.history, boundedEntry(entry), HISTORY_MAX_ENTRIES, HISTORY_MAX_BYTES);
    });
  }

  /** Persists a new operation (see newHistoryEntry) as running and pending, so a crash marks it interrupted. */
  async beginOperation(entry: HistoryEntry): Promise<void> {
    const pending: PendingOperation = { historyId: entry.id, op: entry.op, slot: entry.slot, startedAt: entry.startedAt };
    await this.#commit((d) => {
      pushBounded(d.history, boundedEntry(entry), HISTORY_MAX_ENTRIES, HISTORY_MAX_BYTES);
      d.pending = pending;
    });
  }

  /** Records an operation that began and ended at once (hold, resume, notice): no pending marker needed. */
  async recordOperation(entry: HistoryEntry): Promise<void> {
    entry.endedAt ??= new Date().toISOString();
    await this.#commit((d) => pushBounded(d.history, boundedEntry(entry), HISTORY_MAX_ENTRIES, HISTORY_MAX_BYTES));
  }

  /**
   * Records an operation's end; the entry object is the one beginOperation returned, and says the same once written.
   * Returns false for an operation refused before it changed anything: it was never recorded, and is not now.
   */
  async endOperation(entry: HistoryEntry, changes: Partial<HistoryEntry>): Promise<boolean> {
    const index = this.#db.data.history.findIndex((h) => h.id === entry.id);
    if (index < 0) return false;
    // A new record, not a change to `entry`: a write that fails is then taken back by #commit alone.
    const ended = boundedEntry({ ...entry, ...changes, endedAt: new Date().toISOString() });
    // Kept in memory even when the write fails: the operation is over, and no entry may stay "running" for ever.
    await this.#commit((d) => {
      d.history[index] = ended;
      trimBounded(d.history, HISTORY_MAX_ENTRIES, HISTORY_MAX_BYTES);
      if (d.pending?.historyId === entry.id) d.pending = null;
    }, { keepOnFailure: true }).finally(() => Object.assign(entry, ended));
    return true;
  }

  async appendAudit(entry: AuditEntry): Promise<void> {
    const bounded = { ...entry, action: cutToBytes(entry.action, AUDIT_ACTION_MAX_BYTES) };
    await this.#commit((d) => pushBounded(d.audit, bounded, AUDIT_MAX_ENTRIES, AUDIT_MAX_BYTES));
  }
}

/** The list of live releases with `release` appended (a release live again is appended again: rollbacks alternate). */
function withLiveRelease(list: ReleaseInfo[] | undefined, release: ReleaseInfo | null): ReleaseInfo[] {
  const next = [...(list ?? [])];
  const last = next.at(-1);
  if (!release || (last && last.sha256 === release.sha256 && last.version === release.version)) return next;
  pushBounded(next, release, LIVE_RELEASES_MAX_ENTRIES, Number.MAX_SAFE_INTEGER);
  return next;
}

/** A history entry as stored: error text and step details cut, so one entry cannot crowd out the others. */
function boundedEntry(entry: HistoryEntry): HistoryEntry {
  const long = (text: string | null | undefined, max: number) => typeof text === 'string' && Buffer.byteLength(text) > max;
  // The same object when nothing is too long: a running operation's entry is the one its steps are pushed to.
  if (!long(entry.error, HISTORY_ERROR_MAX_BYTES) && !entry.steps.some((s) => long(s.detail, HISTORY_STEP_DETAIL_MAX_BYTES))) return entry;
  const steps = entry.steps.map((s) => (s.detail === undefined ? s : { ...s, detail: cutToBytes(s.detail, HISTORY_STEP_DETAIL_MAX_BYTES) }));
  return { ...entry, error: entry.error === null ? null : cutToBytes(entry.error, HISTORY_ERROR_MAX_BYTES), steps };
}
