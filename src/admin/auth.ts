// Bearer-token check for /api and /metrics; everything else the admin serves holds no data.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import { SlotswapError } from '../errors.js';
import { tokenMatches } from './admin-token.js';
import { AuthFailures } from './auth-failures.js';

export { AuthFailures };

/** Set on res.locals by requireToken once the token matched: only such calls may reach the state file. */
export const AUTHORIZED = 'slotswapAuthorized';

function hasToken(header: string | undefined, token: string): boolean {
  // The scheme name is case-insensitive (RFC 9110); the token itself is not.
  const given = header && /^bearer /i.test(header) ? header.slice(7).trim() : '';
  return given !== '' && tokenMatches(given, token);
}

// The message never repeats what was sent: a token must not end up in a log.
const unauthorized = () => new SlotswapError('unauthorized', 'missing or wrong admin token; send "Authorization: Bearer <token>" (the token is in admin.tokenFile)');

/** Paths that hold data or change things: everything else the admin serves is the page's own static files. */
export function needsToken(url: string | undefined): boolean {
  return url !== undefined && (url === '/metrics' || url.startsWith('/metrics?') || url.startsWith('/metrics/') || url === '/api' || url.startsWith('/api/') || url.startsWith('/api?'));
}

/**
 * In front of express: a call without the token is answered 401 here, before any routing, parsing or audit, so a
 * flood of anonymous calls costs the event loop (and the proxy that shares it) as little as it can. Returns whether
 * it answered.
 */
export function refuseWithoutToken(token: string, failures: AuthFailures): (req: IncomingMessage, res: ServerResponse) => boolean {
  const body = JSON.stringify(unauthorized().toJSON());
  const status = unauthorized().status;
  return (req, res) => {
    if (!needsToken(req.url) || hasToken(req.headers.authorization, token)) return false;
    failures.refused(req.method ?? 'GET', req.url ?? '', req.socket?.remoteAddress);
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    res.end(body);
    return true;
  };
}

export function requireToken(token: string, failures: AuthFailures = new AuthFailures()): RequestHandler {
  return (req, res, next) => {
    if (!hasToken(req.headers.authorization, token)) {
      failures.refused(req.method, req.originalUrl, req.socket?.remoteAddress);
      next(unauthorized());
      return;
    }
    res.locals[AUTHORIZED] = true;
    next();
  };
}

export function isAuthorized(res: { locals: Record<string, unknown> }): boolean {
  return res.locals[AUTHORIZED] === true;
}

export function actorOf(remoteAddress: string | undefined, authorized: boolean): string {
  return `${authorized ? 'token' : 'anonymous'}@${remoteAddress ?? 'unknown'}`;
}
