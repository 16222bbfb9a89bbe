// Maintenance mode on and off: persisted with its history entry in one write, then published to the proxy. Both
// slots keep running; no operation lock is taken (it changes no slot), like hold and notice.
import { SlotswapError, describeValue } from '../errors.js';
import { DEFAULT_MAINTENANCE_RETRY_AFTER_S, MAX_MAINTENANCE_MESSAGE_CHARS, MAX_MAINTENANCE_PAGE_BYTES, MAX_MAINTENANCE_RETRY_AFTER_S } from '../defaults.js';
import { newHistoryEntry, type MaintenanceRecord } from '../state/state-types.js';
import { DEFAULT_MAINTENANCE_MESSAGE } from '../proxy/maintenance-gate.js';
import type { Orchestrator } from './orchestrator.js';
import { writeManifestCopy } from './flip.js';
import { pageSha256, readMaintenancePage, removeMaintenancePage, writeMaintenancePage } from './maintenance-page.js';
import { requirePrintable } from './printable-text.js';

export interface MaintenanceRequest {
  message: string | null;
  page: string | null;
  pageFile: string | null;
  retryAfterS: number;
}

export interface MaintenanceStatus {
  on: boolean;
  message: string | null;
  retryAfterS: number | null;
  since: string | null;
  actor: string | null;
  page: { file: string | null; bytes: number } | null;
}

const KEYS = ['message', 'page', 'pageFile', 'retryAfterS'];

/** The body of PUT /api/maintenance: {"message"?, "page"? (the HTML itself), "pageFile"?, "retryAfterS"?}. */
export function parseMaintenanceRequest(body: unknown): MaintenanceRequest {
  const given = body === undefined || body === null ? {} : body;
  if (typeof given !== 'object' || Array.isArray(given)) {
    throw new SlotswapError('bad_request', `expected a JSON object {"message": "...", "retryAfterS": 60}, got ${describeValue(body)}`);
  }
  const fields = given as Record<string, unknown>;
  const unknown = Object.keys(fields).find((key) => !KEYS.includes(key));
  if (unknown !== undefined) throw new SlotswapError('bad_request', `unknown key ${JSON.stringify(unknown)}; expected only ${KEYS.join(', ')}`);
  const { message, page, pageFile, retryAfterS } = fields;
  if (message !== undefined && message !== null && (typeof message !== 'string' || message.trim() === '' || message.length > MAX_MAINTENANCE_MESSAGE_CHARS)) {
    throw new SlotswapError('bad_request', `"message": expected a non-empty string of at most ${MAX_MAINTENANCE_MESSAGE_CHARS} characters, got ${describeValue(message)}`);
  }
  if (typeof message === 'string') requirePrintable(message, 'message');
  if (page !== undefined && page !== null) {
    if (typeof page !== 'string' || page.trim() === '') throw new SlotswapError('bad_request', `"page": expected the HTML of the page as a non-empty string, got ${describeValue(page)}`);
    const bytes = Buffer.byteLength(page);
    if (bytes > MAX_MAINTENANCE_PAGE_BYTES) {
      throw new SlotswapError('payload_too_large', `"page": expected at most ${MAX_MAINTENANCE_PAGE_BYTES} bytes (1 MiB), got ${bytes}; make the page smaller (link its images instead of inlining them)`);
    }
  }
  if (pageFile !== undefined && pageFile !== null && typeof pageFile !== 'string') throw new SlotswapError('bad_request', `"pageFile": expected a file name, got ${describeValue(pageFile)}`);
  if (retryAfterS !== undefined && (typeof retryAfterS !== 'number' || !Number.isInteger(retryAfterS) || retryAfterS < 0 || retryAfterS > MAX_MAINTENANCE_RETRY_AFTER_S)) {
    throw new SlotswapError('bad_request', `"retryAfterS": expected a whole number of seconds from 0 to ${MAX_MAINTENANCE_RETRY_AFTER_S}, got ${describeValue(retryAfterS)}`);
  }
  return {
    message: (message as string | undefined) ?? null,
    page: (page as string | undefined) ?? null,
    pageFile: typeof page === 'string' ? ((pageFile as string | undefined) ?? null) : null,
    retryAfterS: (retryAfterS as number | undefined) ?? DEFAULT_MAINTENANCE_RETRY_AFTER_S,
  };
}

export function maintenanceStatus(orch: Orchestrator): MaintenanceStatus {
  const record = orch.store.data.maintenance;
  if (!record) return { on: false, message: null, retryAfterS: null, since: null, actor: null, page: null };
  const page = record.pageSha256 === null ? null : { file: record.pageFile, bytes: record.pageBytes ?? 0 };
  return { on: true, message: record.message ?? DEFAULT_MAINTENANCE_MESSAGE, retryAfterS: record.retryAfterS, since: record.since, actor: record.actor, page };
}

/** The proxy's page changes with the record it belongs to: a state write that fails takes both back. */
async function withPage(orch: Orchestrator, page: Buffer | null, write: () => Promise<void>): Promise<void> {
  const previous = orch.maintenancePage;
  orch.maintenancePage = page;
  try {
    await write();
  } catch (err) {
    orch.maintenancePage = previous;
    throw err;
  }
}

async function record(orch: Orchestrator, op: string, detail: string, maintenance: MaintenanceRecord | null, actor: string): Promise<void> {
  const entry = newHistoryEntry(op, actor, orch.store.data.live, orch.liveVersion());
  entry.outcome = 'ok';
  entry.toVersion = entry.fromVersion;
  entry.steps.push({ name: op === 'maintenance-on' ? 'on' : 'off', ms: 0, ok: true, detail });
  // One write for the mode and its history entry: a mode nobody can find in the history never starts.
  await orch.store.setMaintenance(maintenance, entry);
  const snapshot = orch.publish(op === 'maintenance-on' ? 'maintenance on' : 'maintenance off');
  await writeManifestCopy(orch, snapshot.manifest?.body);
}

/** Turns maintenance on, or changes its message, page or Retry-After while on; `changed` is false for the very same settings. A fleet passes its own `since`. */
export async function maintenanceOn(orch: Orchestrator, request: MaintenanceRequest, actor: string, since?: string): Promise<{ changed: boolean; maintenance: MaintenanceStatus }> {
  const current = orch.store.data.maintenance;
  const page = request.page === null ? null : Buffer.from(request.page);
  const sha256 = page === null ? null : pageSha256(page);
  const same = current && current.message === request.message && current.pageSha256 === sha256 && current.retryAfterS === request.retryAfterS && (since === undefined || current.since === since);
  if (same) return { changed: false, maintenance: maintenanceStatus(orch) };
  // The page is in place before the state names it; a page no longer named is removed after the state stops naming it.
  if (page !== null) await writeMaintenancePage(orch.config.stateFile, page);
  const next: MaintenanceRecord = {
    message: request.message,
    pageSha256: sha256,
    pageBytes: page === null ? null : page.length,
    pageFile: request.pageFile,
    retryAfterS: request.retryAfterS,
    since: since ?? current?.since ?? new Date().toISOString(),
    actor,
  };

  const pageText = page === null ? 'no page' : `page ${request.pageFile ?? '(given)'} ${page.length} bytes`;
  const detail = `${current ? 'changed: ' : ''}every public request answered 503 (Retry-After ${request.retryAfterS} s, ${pageText}); message ${JSON.stringify(request.message ?? DEFAULT_MAINTENANCE_MESSAGE)}`;
  await withPage(orch, page, () => record(orch, 'maintenance-on', detail, next, actor));
  if (page === null) await removeMaintenancePage(orch.config.stateFile);
  return { changed: true, maintenance: maintenanceStatus(orch) };
}

export async function maintenanceOff(orch: Orchestrator, actor: string): Promise<{ changed: boolean; maintenance: MaintenanceStatus }> {
  const current = orch.store.data.maintenance;
  if (!current) return { changed: false, maintenance: maintenanceStatus(orch) };
  const onForMs = Date.now() - Date.parse(current.since);
  await withPage(orch, null, () => record(orch, 'maintenance-off', `requests reach the live slot again after ${Math.round(onForMs / 1000)} s of maintenance`, null, actor));
  await removeMaintenancePage(orch.config.stateFile);
  return { changed: true, maintenance: maintenanceStatus(orch) };
}

/** At start-up, before the first snapshot: the page the state names, or none (said once) when its file is gone or changed. */
export async function loadMaintenancePage(orch: Orchestrator): Promise<string | null> {
  const sha256 = orch.store.data.maintenance?.pageSha256 ?? null;
  if (sha256 === null) return null;
  const found = await readMaintenancePage(orch.config.stateFile, sha256);
  if ('page' in found) {
    orch.maintenancePage = found.page;
    return null;
  }
  return `maintenance is on but its page cannot be served: ${found.problem}; clients get the message as JSON or text; run slotswap maintenance on --page <file> to set it again`;
}
