// Bearer-token check for /api and /metrics; everything else the admin serves holds no data.
import type { RequestHandler } from 'express';
import { SlotswapError } from '../errors.js';
import { tokenMatches } from './admin-token.js';
import { AuthFailures } from './auth-failures.js';

export { AuthFailures };

/** Set on res.locals by requireToken once the token matched: only such calls may reach the state file. */
export const AUTHORIZED = 'slotswapAuthorized';

export function requireToken(token: string, failures: AuthFailures = new AuthFailures()): RequestHandler {
  return (req, res, next) => {
    const header = req.headers.authorization ?? '';
    // The scheme name is case-insensitive (RFC 9110); the token itself is not.
    const given = /^bearer /i.test(header) ? header.slice(7).trim() : '';
    if (given === '' || !tokenMatches(given, token)) {
      failures.refused(req.method, req.originalUrl, req.socket?.remoteAddress);
      // The message never repeats what was sent: a token must not end up in a log.
      next(new SlotswapError('unauthorized', 'missing or wrong admin token; send "Authorization: Bearer <token>" (the token is in admin.tokenFile)'));
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
