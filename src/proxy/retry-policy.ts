// Which failed forwards may be tried again: bodiless idempotent requests, before any response byte,
// on a refused or reset connection, a bounded number of times. Engine-independent: it reads our failure codes only.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Upstream } from './upstream.js';
import type { ForwardFailure } from './engines/engine.js';

const RETRYABLE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'DELETE', 'PUT', 'TRACE']);
/** Our codes (engines/engine.ts), and the socket errno names they stand for; a timeout may have reached the app. */
const RETRYABLE_CODES = new Set(['refused', 'reset-before-response', 'ECONNREFUSED', 'ECONNRESET']);
/** Attempts in all for one request that keeps meeting a dead instance. */
const MAX_ATTEMPTS = 3;

const kClaim = Symbol('slotswap.claim');

/** Which upstream a request holds; moved, not duplicated, when the request is retried or parked. */
export interface Claim {
  up: Upstream;
  /** Whether claim.up counts this request in its inFlight (not while parked in the queue). */
  counted: boolean;
  /** The target as the client sent it (before a slot prefix was stripped): a retry is routed again on it. */
  url: string;
  attempts: number;
  /** performance.now() at the first forward: the answer's duration for the slot's request metrics. */
  startedAt?: number;
}

type ClaimedRequest = IncomingMessage & { [kClaim]?: Claim };

export function claimOf(req: IncomingMessage): Claim | undefined {
  return (req as ClaimedRequest)[kClaim];
}

export function attachClaim(req: IncomingMessage, claim: Claim): void {
  (req as ClaimedRequest)[kClaim] = claim;
}

/** Takes the request off its upstream's in-flight count (it finished, moves on, or waits parked). */
export function releaseClaim(claim: Claim): void {
  if (claim.counted) claim.up.settle();
  claim.counted = false;
}

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
}

/** A body already streamed upstream cannot be sent again, and nothing may be retried once the answer has begun. */
export function mayRetry(claim: Claim, req: IncomingMessage, res: ServerResponse, failure: ForwardFailure | NodeJS.ErrnoException): boolean {
  const code = failure.code ?? '';
  return !res.headersSent && claim.attempts < MAX_ATTEMPTS && RETRYABLE_CODES.has(code) && RETRYABLE_METHODS.has(req.method ?? '') && !hasBody(req);
}
