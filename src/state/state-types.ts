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

export interface Manifest {
  app: string;
  version: string;
  minCompatibleVersion: string;
  webApiUrl: string;
  slot: SlotName;
  deployment_urls: { web_api: string };
  updatedAt: string;
  notice: Notice | null;
}

export type Outcome = 'running' | 'ok' | 'failed' | 'interrupted';

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
}

export interface AuditEntry {
  at: string;
  actor: string;
  action: string;
  status: number;
}

export interface PendingOperation {
  historyId: string;
  op: string;
  slot: SlotName | null;
  startedAt: string;
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
  };
}
