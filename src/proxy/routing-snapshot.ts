// The proxy's immutable view of the state: built on every change, swapped in with one assignment (that is the flip).
// Views share nothing mutable with the orchestrator except the Upstream objects themselves (their live counters).
import { createHash } from 'node:crypto';
import type { SlotName } from '../config/config-types.js';
import type { SlotState } from '../state/slot-states.js';
import type { Manifest } from '../state/state-types.js';
import type { Upstream } from './upstream.js';
import type { MaintenanceView } from './maintenance-gate.js';

export interface ForwardDecision {
  kind: 'forward';
  slot: SlotView;
  /** Path prefix to strip (slot-addressed routes), or null. */
  stripPrefix: string | null;
  /** Version to advertise in X-Upgrade-Available, or null. */
  upgradeAvailable: string | null;
  /** The request was assigned to its slot by weight (a canary runs): the answer carries the sticky cookie. */
  assign?: boolean;
}

export interface SlotView {
  name: SlotName;
  state: SlotState;
  version: string | null;
  minCompatibleVersion: string | null;
  upstreams: readonly Upstream[];
  /** Precomputed so that the common request allocates no decision. */
  forward: ForwardDecision;
  /** Precomputed decision for <slotPathPrefix>/<slot>/ requests. */
  forwardByPrefix: ForwardDecision;
  /** Every proxied response carries these; precomputed once per snapshot. */
  responseHeaders: readonly (readonly [string, string])[];
  /** The same, flat (name, value, name, value...), as writeHead takes them. */
  answerHeaders: readonly string[];
  /** answerHeaders plus the Set-Cookie that keeps a weight-assigned client on this slot. */
  assignHeaders: readonly string[];
  /** Precomputed decision for a request assigned here by the canary's weight. */
  forwardAssigned: ForwardDecision;
}

/** A canary: `weight` % of clients without the sticky cookie go to `slot`, the rest to the live slot. */
export interface CanaryView {
  slot: SlotName;
  /** 0-100. */
  weight: number;
}

/** The cookie that keeps a client on the slot it was assigned to while a canary runs. */
export const STICKY_COOKIE = 'slotswap_slot';

export interface ManifestView {
  manifest: Manifest;
  body: Buffer;
  etag: string;
}

export interface RoutingSnapshot {
  live: SlotView | null;
  slots: Readonly<Record<SlotName, SlotView>>;
  manifest: ManifestView | null;
  /** Maintenance mode while on (absent or null: off); the proxy checks it before routing. */
  maintenance?: MaintenanceView | null;
  /** A canary runs (absent or null: every request goes to the live slot). */
  canary?: CanaryView | null;
}

export interface SlotViewInput {
  name: SlotName;
  state: SlotState;
  version: string | null;
  minCompatibleVersion: string | null;
  upstreams: readonly Upstream[];
}

export function buildSlotView(input: SlotViewInput, slotPathPrefix: string): SlotView {
  // A copy, frozen: recovery replaces orch.upstreams[slot][index] in place, and a published view must not change with it.
  const view = { ...input, upstreams: Object.freeze([...input.upstreams]) } as SlotView;
  view.forward = Object.freeze<ForwardDecision>({ kind: 'forward', slot: view, stripPrefix: null, upgradeAvailable: null });
  view.forwardByPrefix = Object.freeze<ForwardDecision>({ kind: 'forward', slot: view, stripPrefix: `${slotPathPrefix}/${input.name}`, upgradeAvailable: null });
  const headers: (readonly [string, string])[] = [Object.freeze(['x-served-by-slot', input.name] as const)];
  if (input.version) headers.push(Object.freeze(['x-app-version', input.version] as const));
  if (input.minCompatibleVersion) headers.push(Object.freeze(['x-app-min-compatible-version', input.minCompatibleVersion] as const));
  view.responseHeaders = Object.freeze(headers);
  view.answerHeaders = Object.freeze(headers.flat());
  view.assignHeaders = Object.freeze([...view.answerHeaders, 'set-cookie', `${STICKY_COOKIE}=${input.name}; Path=/; HttpOnly; SameSite=Lax`]);
  view.forwardAssigned = Object.freeze<ForwardDecision>({ kind: 'forward', slot: view, stripPrefix: null, upgradeAvailable: null, assign: true });
  return Object.freeze(view);
}

export function buildManifestView(manifest: Manifest | null): ManifestView | null {
  if (!manifest) return null;
  const body = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
  // A hash of the exact bytes served: the ETag changes exactly when the body does.
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
  return { manifest, body, etag };
}
