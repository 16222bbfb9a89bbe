// The fleet's settings (notice, maintenance, operator hold) in etcd's `settings` key: changed by one compare-revision
// transaction on the node the CLI called, then applied by every node through its own local operation.
import { SlotswapError } from '../errors.js';
import type { Orchestrator } from '../ops/orchestrator.js';
import type { Notice } from '../state/state-types.js';
import { setNotice } from '../ops/notice.js';
import { maintenanceOff, maintenanceOn, type MaintenanceRequest } from '../ops/maintenance.js';
import { holdOperation, OPERATOR_HOLD, resumeOperation } from '../ops/hold.js';
import { FLEET_SETTINGS_WRITE_ATTEMPTS } from '../defaults.js';
import type { FleetMaintenance, FleetSettings, FleetStore } from './fleet-store.js';

export type SettingsChange = { notice: Notice | null } | { maintenance: MaintenanceRequest | null } | { hold: boolean };

/** Settings as a fleet first has them: what a node without any applies (nothing). */
export function noSettings(by: string): FleetSettings {
  return { notice: null, noticeAt: null, maintenance: null, hold: false, by, at: new Date(0).toISOString() };
}

/** The settings after `change`, or null when it changes nothing (the same notice, mode or hold). */
export function settingsAfter(current: FleetSettings, change: SettingsChange, by: string, actor: string, at = new Date().toISOString()): FleetSettings | null {
  if ('notice' in change) {
    if (JSON.stringify(current.notice) === JSON.stringify(change.notice)) return null;
    return { ...current, notice: change.notice, noticeAt: at, by, at };
  }
  if ('hold' in change) return current.hold === change.hold ? null : { ...current, hold: change.hold, by, at };
  const m = change.maintenance;
  if (m === null) return current.maintenance === null ? null : { ...current, maintenance: null, by, at };
  const was = current.maintenance;
  if (was && was.message === m.message && was.page === m.page && was.pageFile === m.pageFile && was.retryAfterS === m.retryAfterS) return null;
  const next: FleetMaintenance = { message: m.message, page: m.page, pageFile: m.pageFile, retryAfterS: m.retryAfterS, since: was?.since ?? at, actor };
  return { ...current, maintenance: next, by, at };
}

/**
 * Reads the settings and writes the change in one compare-revision transaction; another writer in between (another
 * setting changed on another node) means read again and retry. Returns the settings, their revision and `changed`.
 */
export async function writeSettings(store: FleetStore, by: string, actor: string, change: SettingsChange): Promise<{ settings: FleetSettings; revision: string; changed: boolean }> {
  for (let attempt = 0; attempt < FLEET_SETTINGS_WRITE_ATTEMPTS; attempt++) {
    const { settings, revision } = await store.readSettings();
    const current = settings ?? noSettings(by);
    const next = settingsAfter(current, change, by, actor);
    if (!next) return { settings: current, revision, changed: false };
    const written = await store.commitSettings(next, revision);
    if (written) return { settings: next, revision: written, changed: true };
  }
  throw new SlotswapError('conflict', `the fleet's settings in etcd changed ${FLEET_SETTINGS_WRITE_ATTEMPTS} times while this change was written; retry`);
}

/** Brings this node's notice, maintenance mode and operator hold to the fleet's, each through its local operation. */
export async function applySettings(orch: Orchestrator, settings: FleetSettings, actor: string): Promise<void> {
  const data = orch.store.data;
  if (JSON.stringify(data.notice) !== JSON.stringify(settings.notice)) await setNotice(orch, settings.notice, settings.noticeAt ?? undefined);
  const m = settings.maintenance;
  if (m) await maintenanceOn(orch, { message: m.message, page: m.page, pageFile: m.pageFile, retryAfterS: m.retryAfterS }, m.actor, m.since);
  else if (data.maintenance) await maintenanceOff(orch, actor);
  const proxy = orch.proxy;
  if (!proxy) return;
  const held = proxy.holdStats().reasons.includes(OPERATOR_HOLD);
  if (settings.hold && !held) await holdOperation(orch, actor);
  else if (!settings.hold && held) await resumeOperation(orch, actor);
}
