// Header work around a forward: X-Forwarded-* in, hop-by-hop out, the slot's own headers on every answer.
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { createHmac } from 'node:crypto';
import type { ForwardDecision, SlotView } from './routing-snapshot.js';
import { bypassMatches } from './maintenance-bypass.js';

const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade'] as const;
/** Who the client is and how it came in, as the proxy tells it (X-Forwarded-*) or as a backend might read it: a client's own say is dropped. */
const CLIENT_FORWARDED = ['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-port', 'x-forwarded-prefix', 'forwarded', 'x-real-ip', 'x-forwarded-ssl', 'x-client-ip', 'true-client-ip'] as const;
/**
 * What else frameworks read as a front proxy's word (the scheme for Rack, the client for Rails' remote_ip, the path for
 * IIS and Symfony's X-Original-URL): a client's say of any of them never reaches the instance.
 */
export const CLIENT_CLAIMS: ReadonlySet<string> = new Set([
  'x-forwarded-scheme', 'x-forwarded-protocol', 'x-url-scheme', 'front-end-https', 'x-forwarded-server', 'x-forwarded-uri', 'x-forwarded', 'forwarded-for',
  'x-cluster-client-ip', 'client-ip', 'cf-connecting-ip', 'fastly-client-ip', 'x-original-url', 'x-rewrite-url', 'x-original-host', 'x-host', 'x-original-forwarded-for',
]);
const FORWARDED_NAMES: ReadonlySet<string> = new Set([...CLIENT_FORWARDED, ...CLIENT_CLAIMS]);
/** Never dropped for being listed in the client's Connection header: the proxy sets them, or the body is framed by them. */
const NEVER_CONNECTION_LISTED: ReadonlySet<string> = new Set([...CLIENT_FORWARDED, 'host', 'content-length', 'transfer-encoding', 'keep-alive', 'close', 'upgrade']);

/**
 * The header names the client's Connection header lists (RFC 9110 section 7.6.1: they end at the proxy), less those the
 * proxy sets itself, so "Connection: X-Forwarded-For" cannot take the client's address off; null when it lists none.
 */
export function connectionListed(value: string | string[] | undefined): ReadonlySet<string> | null {
  if (value === undefined || value === 'keep-alive' || value === 'close') return null;
  let listed: Set<string> | null = null;
  for (const token of (Array.isArray(value) ? value.join(',') : value).split(',')) {
    const name = token.trim().toLowerCase();
    if (name !== '' && !NEVER_CONNECTION_LISTED.has(name)) (listed ??= new Set()).add(name);
  }
  return listed;
}

/** "x_forwarded_for" and the like: CGI-style gateways read them as X-Forwarded-For, so a client must not send them. */
export function isForwardedAlias(name: string): boolean {
  return name.indexOf('_') !== -1 && FORWARDED_NAMES.has(name.replaceAll('_', '-'));
}

/** The WebSocket path forwards the request's headers as they are: the client's claims and aliases go first. */
export function dropForwardedAliases(headers: IncomingHttpHeaders): void {
  for (const name in headers) if (CLIENT_CLAIMS.has(name) || isForwardedAlias(name)) delete headers[name];
}

/**
 * A held request the previous daemon handed on at `slotswap restart` (src/restart/hand-on-held.ts) carries this header:
 * "<HMAC of the admin token> <arrival time in ms>". Only with that mark are its X-Forwarded-For/-Proto and arrival kept.
 */
export const HANDED_ON_HEADER = 'x-slotswap-handed-on';
/** Versioned: a new derivation would name itself here. */
const HANDED_ON_PURPOSE = 'slotswap restart hand-on v1';

/** What a trusted hand-on carries: the client's own address and scheme, and when it first arrived. */
export interface HandedOn {
  since: number;
  forwardedFor: string;
  forwardedProto: string;
}

const kHandedOn = Symbol('slotswap.handedOn');
type WithHandedOn = IncomingMessage & { [kHandedOn]?: HandedOn };

/** 64 hex characters, derived from the admin token (the same in the old and the new daemon). */
export function handOnMark(token: string): string {
  return createHmac('sha256', token).update(HANDED_ON_PURPOSE).digest('hex');
}

/** Called only when the header is there: it is always stripped (the app never sees it); trusted only with the right mark. */
export function acceptHandedOn(req: IncomingMessage, mark: string | null, now = Date.now()): void {
  const value = req.headers[HANDED_ON_HEADER];
  delete req.headers[HANDED_ON_HEADER];
  if (typeof value !== 'string') return;
  const space = value.indexOf(' ');
  if (!bypassMatches(space < 0 ? value : value.slice(0, space), mark)) return;
  const since = Number(value.slice(space + 1));
  const forwardedFor = req.headers['x-forwarded-for'];
  const forwardedProto = req.headers['x-forwarded-proto'];
  (req as WithHandedOn)[kHandedOn] = {
    since: Number.isFinite(since) && since <= now ? since : now,
    forwardedFor: typeof forwardedFor === 'string' ? forwardedFor : '',
    forwardedProto: forwardedProto === 'https' ? 'https' : 'http',
  };
}

/** The trusted hand-on of this request, if it is one. */
export function handedOnOf(req: IncomingMessage): HandedOn | undefined {
  return (req as WithHandedOn)[kHandedOn];
}

/** The client's address: the socket's, or the one a trusted hand-on carried from the daemon the client reached. */
function forwardedForOf(req: IncomingMessage): string {
  const handed = (req as WithHandedOn)[kHandedOn];
  return handed !== undefined ? handed.forwardedFor : (req.socket.remoteAddress ?? '');
}

/** The client's scheme, the same way. */
function forwardedProtoOf(req: IncomingMessage): string {
  const handed = (req as WithHandedOn)[kHandedOn];
  return handed !== undefined ? handed.forwardedProto : (req.socket as { encrypted?: boolean }).encrypted === true ? 'https' : 'http';
}

/** The headers of a held request handed on to the next daemon: the client's own plus its forwarded facts and the mark. */
export function handOnHeaders(req: IncomingMessage, mark: string, since: number): IncomingHttpHeaders {
  const headers: IncomingHttpHeaders = { ...req.headers };
  for (const name of [...HOP_BY_HOP, ...CLIENT_FORWARDED]) delete headers[name];
  headers['x-forwarded-for'] = forwardedForOf(req);
  headers['x-forwarded-proto'] = forwardedProtoOf(req);
  headers[HANDED_ON_HEADER] = `${mark} ${since}`;
  return headers;
}

/** Sets X-Forwarded-* (replacing, never appending to, what the client sent) and strips a slot prefix. */
export function prepareForwarding(req: IncomingMessage, decision: ForwardDecision): void {
  const headers = req.headers;
  for (let i = 0; i < CLIENT_FORWARDED.length; i++) if (headers[CLIENT_FORWARDED[i]!] !== undefined) delete headers[CLIENT_FORWARDED[i]!];
  headers['x-forwarded-for'] = forwardedForOf(req);
  headers['x-forwarded-proto'] = forwardedProtoOf(req);
  if (headers.host !== undefined) headers['x-forwarded-host'] = headers.host;
  if (decision.stripPrefix !== null) {
    const rest = req.url!.slice(decision.stripPrefix.length);
    req.url = rest === '' ? '/' : rest.charCodeAt(0) === 63 /* ? */ ? `/${rest}` : rest;
    headers['x-forwarded-prefix'] = decision.stripPrefix;
  }
}

/** A draining backend's Connection: close must not close the client's connection to us (unless we are closing). */
export function stripHopByHop(headers: IncomingHttpHeaders, closing: boolean): void {
  for (let i = 0; i < HOP_BY_HOP.length; i++) if (headers[HOP_BY_HOP[i]!] !== undefined) delete headers[HOP_BY_HOP[i]!];
  if (closing) headers.connection = 'close';
}

const SLOT_HEADERS = ['x-served-by-slot', 'x-app-version', 'x-app-min-compatible-version', 'x-upgrade-available'] as const;

/**
 * The slot's headers ride on the response object as one precomputed flat list, added by the engine to the upstream's own
 * in writeHead: a res.setHeader here would put every upstream header of the answer on Node's slow merge path.
 */
const kSlotHeaders = Symbol('slotswap.slotHeaders');
type WithSlotHeaders = ServerResponse & { [kSlotHeaders]?: readonly string[] | undefined };

/** A retried request may land on another slot: the first slot's headers must not stay behind. */
export function clearSlotHeaders(res: ServerResponse): void {
  (res as WithSlotHeaders)[kSlotHeaders] = undefined;
  for (let i = 0; i < SLOT_HEADERS.length; i++) res.removeHeader(SLOT_HEADERS[i]!);
}

/** `assigned`: the canary's weight chose the slot, and the answer carries the sticky cookie (SlotView.assignHeaders). */
export function setSlotHeaders(res: ServerResponse, slot: SlotView, upgradeAvailable: string | null, assigned = false): void {
  const own = assigned ? slot.assignHeaders : slot.answerHeaders;
  (res as WithSlotHeaders)[kSlotHeaders] = upgradeAvailable === null ? own : [...own, 'x-upgrade-available', upgradeAvailable];
}

/** Name/value pairs, flat, that the proxy adds to the upstream answer written into res (none: undefined). */
export function slotHeadersOf(res: ServerResponse): readonly string[] | undefined {
  return (res as WithSlotHeaders)[kSlotHeaders];
}

/** Whether an upstream response header has a name the proxy sets itself (a length test first: most names are none). */
export function isSlotHeader(name: string): boolean {
  const n = name.length;
  if (n !== 16 && n !== 13 && n !== 28 && n !== 19) return false;
  const lower = name.toLowerCase();
  return lower === 'x-served-by-slot' || lower === 'x-app-version' || lower === 'x-app-min-compatible-version' || lower === 'x-upgrade-available';
}
