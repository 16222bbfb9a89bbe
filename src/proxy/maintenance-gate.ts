// Maintenance mode's routing rule, pure: while it is on, every public request is answered 503 by the proxy, except
// the manifest (it carries the maintenance notice) and requests that carry the bypass value (they are routed as usual).
import type { MaintenanceRecord } from '../state/state-types.js';
import { BYPASS_COOKIE, bypassMatches, cookieValue } from './maintenance-bypass.js';

/** What a client sees when `maintenance on` named no message. */
export const DEFAULT_MAINTENANCE_MESSAGE = 'This service is down for maintenance; please try again shortly.';

/** Maintenance as the proxy serves it: the bodies prepared once per `maintenance on`, never per request. */
export interface MaintenanceView {
  message: string;
  retryAfter: string;
  /** The operator's HTML page, or null. */
  page: Buffer | null;
  json: Buffer;
  text: Buffer;
  /** Precomputed: the gate allocates no decision. */
  decision: MaintenanceDecision;
}

export interface MaintenanceDecision {
  kind: 'maintenance';
  view: MaintenanceView;
}

/** The request facts the rule needs. */
export interface GateRequest {
  method: string;
  /** The request target in origin form (path and query). */
  url: string;
  cookie: string | undefined;
  bypassHeader: string | undefined;
}

const views = new WeakMap<MaintenanceRecord, MaintenanceView>();

/** The view of a record, built once per record (a snapshot is rebuilt on every state change; the page is not re-encoded). */
export function buildMaintenanceView(record: MaintenanceRecord | null | undefined, page: Buffer | null): MaintenanceView | null {
  if (!record) return null;
  const known = views.get(record);
  if (known) return known;
  const message = record.message ?? DEFAULT_MAINTENANCE_MESSAGE;
  const view = {
    message,
    retryAfter: String(record.retryAfterS),
    page,
    json: Buffer.from(JSON.stringify({ error: 'maintenance', message, retryAfterS: record.retryAfterS })),
    text: Buffer.from(`${message}\n`),
  } as MaintenanceView;
  view.decision = Object.freeze({ kind: 'maintenance', view });
  views.set(record, Object.freeze(view));
  return view;
}

function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

/**
 * Rule by rule: off -> pass; GET/HEAD of the manifest -> pass; the bypass value in the header or the cookie -> pass;
 * anything else -> the maintenance answer. null means "route as usual".
 */
export function maintenanceGate(request: GateRequest, view: MaintenanceView | null | undefined, bypass: string | null, manifestPath: string): MaintenanceDecision | null {
  if (!view) return null;
  if ((request.method === 'GET' || request.method === 'HEAD') && pathOf(request.url) === manifestPath) return null;
  if (bypassMatches(request.bypassHeader, bypass)) return null;
  if (request.cookie !== undefined && bypassMatches(cookieValue(request.cookie, BYPASS_COOKIE), bypass)) return null;
  return view.decision;
}
