// The persisted state (state/slotswap.json): one source of truth for which slot is live and what runs where.
import { randomUUID } from 'node:crypto';
import type { SlotName } from '../config/config-types.js';
import type { SlotState } from './slot-states.js';

export const STATE_SCHEMA_VERSION = 1;

export interface ReleaseInfo {
  name: string;
  version: string;
  minCompatibleVersion: string;
  start: string[];
  health: string;
  env: Record<string, string>;
  sha256: string;
  /** Archived .tgz under releasesDir, if kept. */
  archive: string | null;
  deployedAt: string;
  /** The release's client files, served at /_app/<version>/ (absent: the release has none, or predates them). */
  client?: ClientFilesInfo | null;
}

export interface ClientFilesInfo {
  folder: string;
  files: number;
  bytes: number;
}

export interface SlotRecord {
  state: SlotState;
  release: ReleaseInfo | null;
  since: string;
  /** The release an in-place deploy replaced in this slot: what a rollback returns to (absent in older state files). */
  replaced?: ReleaseInfo | null;
}

export interface Notice {
  message: string;
  mandatory: boolean;
}

/** Maintenance mode as persisted: while set, the proxy answers public requests 503 (src/proxy/maintenance-gate.ts). */
export interface MaintenanceRecord {
  /** As given; null: the default text is shown. */
  message: string | null;
  /** The HTML page's sha256 and size; the page itself is state/maintenance-page.html (src/ops/maintenance-page.ts). */
  pageSha256: string | null;
  pageBytes: number | null;
  /** The file the page came from, as the operator named it (shown, never read again). */
  pageFile: string | null;
  retryAfterS: number;
  since: string;
  actor: string;
}

/** What AppRun.json says while maintenance is on (absent while it is off). */
export interface ManifestMaintenance {
  on: true;
  message: string;
  retryAfterS: number;
  since: string;
}

export interface Manifest {
  app: string;
  version: string;
  minCompatibleVersion: string;
  webApiUrl: string;
  slot: SlotName;
  deployment_urls: { web_api: string; app?: string };
  /** The live version's files.json URL; present only when the live release has client files. */
  appFiles?: string;
  updatedAt: string;
  notice: Notice | null;
  /** Present only while maintenance is on; added when the snapshot is built, never stored with the manifest. */
  maintenance?: ManifestMaintenance;
}

/** aborted: a canary sent back (by hand or by its analysis); rolled-back: a watched release flipped back by its analysis. */
export type Outcome = 'running' | 'ok' | 'failed' | 'interrupted' | 'aborted' | 'rolled-back';

/** The analysis' limits for a canary or a watch; null: that rule is off. */
export interface AnalysisRules {
  /** Percent of 5xx and proxy errors among the slot's answers in the window. */
  maxErrorRatePct: number | null;
  /** The slot's p99 in ms over the window (it trips only when also above the other slot's). */
  maxP99Ms: number | null;
  windowMs: number;
  minRequests: number;
}

/** A rule that tripped, with the measured figures beside the limit. */
export interface AnalysisVerdict {
  rule: 'max-error-rate' | 'max-p99-ms';
  slot: SlotName;
  version: string | null;
  limit: number;
  measured: number;
  /** The figures of the judged slot and of the other one over the same window. */
  requests: number;
  errors: number;
  errorRatePct: number;
  p99Ms: number | null;
  otherP99Ms: number | null;
  windowMs: number;
  at: string;
}

/** A running canary (persisted, so status shows it and a restarted daemon knows of it). */
export interface CanaryRecord {
  /** The deploy's history id: promote, abort and the analysis end this rollout. */
  deployId: string;
  slot: SlotName;
  version: string;
  /** The live slot the rest of the traffic stays on. */
  fromSlot: SlotName;
  fromVersion: string | null;
  weight: number;
  startedAt: string;
  /** Weights still to come (--steps), each after stepMs; then a promotion unless autoPromote is false. */
  steps: number[];
  stepMs: number | null;
  /** When the weight last changed (the next step is stepMs after it). */
  weightSince: string;
  autoPromote: boolean;
  analysis: AnalysisRules;
  /** After the promotion: keep the old slot running this long, rolling back on a breach (--watch). */
  watchMs: number | null;
}

export interface StepRecord {
  name: string;
  ms: number;
  ok: boolean;
  detail?: string;
}

export interface HistoryEntry {
  id: string;
  op: string;
  actor: string;
  startedAt: string;
  endedAt: string | null;
  outcome: Outcome;
  slot: SlotName | null;
  fromVersion: string | null;
  toVersion: string | null;
  steps: StepRecord[];
  error: string | null;
  /** The analysis rule that aborted a canary or rolled a watched release back, with its figures. */
  analysis?: AnalysisVerdict | null;
}

export interface AuditEntry {
  at: string;
  actor: string;
  action: string;
  status: number;
}

/**
 * What an irreversible step is about to do, written before it does it: start-up undoes an unfinished one.
 * `keptAs` is where the files that were live wait until the new ones passed their health check.
 */
export type Journal =
  | { kind: 'replace-exe'; slot: SlotName; exeFile: string; keptAs: string; updateFile: string; previousSha256: string }
  | { kind: 'replace-dir'; slot: SlotName; slotDir: string; keptAs: string; incoming: string; previousSha256: string };

export interface PendingOperation {
  historyId: string;
  op: string;
  slot: SlotName | null;
  startedAt: string;
  /** Present while an irreversible step is under way (absent in older state files). */
  journal?: Journal | null;
}

export interface StateData {
  schemaVersion: number;
  live: SlotName | null;
  slots: Record<SlotName, SlotRecord>;
  manifest: Manifest | null;
  notice: Notice | null;
  history: HistoryEntry[];
  audit: AuditEntry[];
  pending: PendingOperation | null;
  /** Releases in the order they became live, newest last: what rollback walks (absent in older state files). */
  liveReleases?: ReleaseInfo[];
  /** Maintenance mode; absent or null: off (absent in older state files). */
  maintenance?: MaintenanceRecord | null;
  /** The canary running now (absent or null: none). */
  canary?: CanaryRecord | null;
}

export function newHistoryEntry(op: string, actor: string, slot: SlotName | null, fromVersion: string | null): HistoryEntry {
  return { id: randomUUID(), op, actor, startedAt: new Date().toISOString(), endedAt: null, outcome: 'running', slot, fromVersion, toVersion: null, steps: [], error: null };
}

export function emptyState(now: string): StateData {
  return {
    schemaVersion: STATE_SCHEMA_VERSION,
    live: null,
    slots: { a: { state: 'empty', release: null, since: now }, b: { state: 'empty', release: null, since: now } },
    manifest: null,
    notice: null,
    history: [],
    audit: [],
    pending: null,
    liveReleases: [],
  };
}
