// Routing as a pure function: request facts + snapshot -> decision. Every rule of DESIGN 1.6 lives here.
import semver from 'semver';
import { isServing } from '../state/slot-states.js';
import { STICKY_COOKIE, type ForwardDecision, type RoutingSnapshot, type SlotView } from './routing-snapshot.js';
import { originForm } from './request-target.js';
import { APP_FILES_PREFIX } from '../defaults.js';
import { parseAppFileTarget, type AppFileTarget } from './app-file-target.js';

export interface RouteSettings {
  manifestPath: string;
  slotPathPrefix: string;
  upgradeStatus: number;
  manifestUrl: string;
}

export interface ManifestDecision {
  kind: 'manifest';
}

export interface RejectDecision {
  kind: 'reject';
  status: number;
  body: Record<string, unknown>;
}

export interface UnavailableDecision {
  kind: 'unavailable';
  message: string;
}

/** A client file (or a version's file list) that the proxy serves itself from the state folder. */
export interface AppFileDecision extends AppFileTarget {
  kind: 'app-file';
}

export type RouteDecision = ForwardDecision | ManifestDecision | RejectDecision | UnavailableDecision | AppFileDecision;

const APP_FILES = `${APP_FILES_PREFIX}/`;

/** /_app/... belongs to the proxy, never to an instance: read-only, and refused outright when it tries to climb out. */
function appFile(method: string, url: string): AppFileDecision | RejectDecision {
  if (method !== 'GET' && method !== 'HEAD') {
    return { kind: 'reject', status: 405, body: { error: 'method_not_allowed', message: `client files under ${APP_FILES} are read-only: expected GET or HEAD, got ${method.slice(0, 16)}` } };
  }
  const target = parseAppFileTarget(url.slice(APP_FILES.length));
  if ('status' in target) return { kind: 'reject', status: target.status, body: { error: target.status === 404 ? 'not_found' : 'bad_request', message: target.message } };
  return { kind: 'app-file', ...target };
}

const MANIFEST: ManifestDecision = { kind: 'manifest' };
const NO_LIVE_SLOT: UnavailableDecision = { kind: 'unavailable', message: 'no slot is live yet; slotswap is starting or no release has been deployed' };

function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

/** The slot name in <prefix>/<slot>[/...], or null when the URL is not slot-addressed. */
function addressedSlot(url: string, prefix: string): string | null {
  if (!url.startsWith(prefix) || url.charCodeAt(prefix.length) !== 47 /* / */) return null;
  const start = prefix.length + 1;
  let end = start;
  while (end < url.length && url[end] !== '/' && url[end] !== '?') end++;
  return url.slice(start, end);
}

function upgradeRequired(clientVersion: string, target: SlotView, snapshot: RoutingSnapshot, settings: RouteSettings): RejectDecision {
  const live = snapshot.live ?? target;
  return {
    kind: 'reject',
    status: settings.upgradeStatus,
    body: {
      error: 'upgrade_required',
      message: `client version ${clientVersion} is below the minimum compatible version ${target.minCompatibleVersion}; upgrade the app`,
      clientVersion,
      minCompatibleVersion: target.minCompatibleVersion,
      latestVersion: live.version,
      manifestUrl: settings.manifestUrl,
      notice: snapshot.manifest?.manifest.notice ?? null,
    },
  };
}

/**
 * Applies the client version gate to a request bound for `target`; stripPrefix carries through.
 * The soft notice (X-Upgrade-Available) always names the live release: that is what a client may upgrade to.
 */
function gate(clientVersion: string | undefined, target: SlotView, base: ForwardDecision, snapshot: RoutingSnapshot, settings: RouteSettings): RouteDecision {
  if (clientVersion === undefined || target.minCompatibleVersion === null || target.version === null) return base;
  if (semver.valid(clientVersion) === null) {
    return {
      kind: 'reject',
      status: 400,
      body: { error: 'bad_request', message: `client version ${JSON.stringify(clientVersion.slice(0, 64))} is not a valid semver version; send something like "1.2.0"` },
    };
  }
  if (semver.lt(clientVersion, target.minCompatibleVersion)) {
    const other = snapshot.slots[target.name === 'a' ? 'b' : 'a'];
    if (isServing(other.state) && other.minCompatibleVersion !== null && other.version !== null && !semver.lt(clientVersion, other.minCompatibleVersion)) {
      return base.stripPrefix === null ? other.forward : { ...other.forward, stripPrefix: base.stripPrefix };
    }
    return upgradeRequired(clientVersion, target, snapshot, settings);
  }
  const latest = snapshot.live?.version ?? target.version;
  if (semver.lt(clientVersion, latest)) return { ...base, upgradeAvailable: latest };
  return base;
}

const COOKIE_PREFIX = `${STICKY_COOKIE}=`;

/** The slot a Cookie header pins its client to (`slotswap_slot=a|b`), or null; read only while a canary runs. */
export function stickySlotOf(cookie: string | undefined): 'a' | 'b' | null {
  if (cookie === undefined) return null;
  let at = cookie.indexOf(COOKIE_PREFIX);
  // The name must start a cookie pair: "x_slotswap_slot=a" is another cookie.
  while (at > 0 && cookie[at - 1] !== ' ' && cookie[at - 1] !== ';') at = cookie.indexOf(COOKIE_PREFIX, at + 1);
  if (at < 0) return null;
  const value = cookie.charAt(at + COOKIE_PREFIX.length);
  const end = cookie.charAt(at + COOKIE_PREFIX.length + 1);
  if ((value !== 'a' && value !== 'b') || (end !== '' && end !== ';' && end !== ' ')) return null;
  return value;
}

/** The canary slot while one runs on a slot other than the live one and that slot is up (ready); null otherwise. */
function canarySlot(snapshot: RoutingSnapshot, live: SlotView): SlotView | null {
  const canary = snapshot.canary;
  if (!canary || canary.slot === live.name) return null;
  const slot = snapshot.slots[canary.slot];
  return slot.state === 'ready' ? slot : null;
}

/**
 * A request for the public site while a canary runs: a client pinned by its cookie stays on its slot; any other is
 * assigned by weight (`random` in [0, 1) is a fact of the request) and told so by the sticky cookie. The gate goes first.
 */
function weighted(clientVersion: string | undefined, live: SlotView, canary: SlotView, weight: number, cookieSlot: 'a' | 'b' | null, random: number, snapshot: RoutingSnapshot, settings: RouteSettings): RouteDecision {
  if (cookieSlot === canary.name) return gate(clientVersion, canary, canary.forward, snapshot, settings);
  if (cookieSlot === live.name) return gate(clientVersion, live, live.forward, snapshot, settings);
  const pick = random * 100 < weight ? canary : live;
  return gate(clientVersion, pick, pick.forwardAssigned, snapshot, settings);
}

/**
 * First tries and retries alike: an absolute-form target (`GET http://host/x`) is routed on its path.
 * `cookieSlot` and `random` matter only while a canary runs (the proxy reads them only then).
 */
export function route(method: string, target: string, clientVersion: string | undefined, snapshot: RoutingSnapshot, settings: RouteSettings, cookieSlot: 'a' | 'b' | null = null, random = 0): RouteDecision {
  const url = target.charCodeAt(0) === 47 /* / */ ? target : originForm(target);
  if ((method === 'GET' || method === 'HEAD') && pathOf(url) === settings.manifestPath) return MANIFEST;
  if (url.startsWith(APP_FILES)) return appFile(method, url);
  const live = snapshot.live;
  const addressed = addressedSlot(url, settings.slotPathPrefix);
  if (addressed !== null) {
    if (addressed !== 'a' && addressed !== 'b') {
      return { kind: 'reject', status: 404, body: { error: 'not_found', message: `unknown slot ${JSON.stringify(addressed.slice(0, 64))} in ${settings.slotPathPrefix}/; slots are a and b` } };
    }
    const slot = snapshot.slots[addressed];
    // A client pinned to its slot stays there while it serves; once it has stopped, it moves to the live slot.
    // Preview rule: a placed, healthy slot that is not live yet ("ready") answers its own address (smoke checks use it).
    if (isServing(slot.state) || slot.state === 'ready') return gate(clientVersion, slot, slot.forwardByPrefix, snapshot, settings);
    if (!live) return NO_LIVE_SLOT;
    return gate(clientVersion, live, { ...live.forward, stripPrefix: slot.forwardByPrefix.stripPrefix }, snapshot, settings);
  }
  if (!live) return NO_LIVE_SLOT;
  const canary = canarySlot(snapshot, live);
  if (canary !== null) return weighted(clientVersion, live, canary, snapshot.canary!.weight, cookieSlot, random, snapshot, settings);
  return gate(clientVersion, live, live.forward, snapshot, settings);
}
