// Bearer-token check for /api and /metrics; everything else the admin serves holds no data.
import type { RequestHandler } from 'express';
import { SlotswapError } from '../errors.js';
import { tokenMatches } from './admin-token.js';

export function requireToken(token: string): RequestHandler {
  return (req, _res, next) => {
    const header = req.headers.authorization ?? '';
    // The scheme name is case-insensitive (RFC 9110); the token itself is not.
    const given = /^bearer /i.test(header) ? header.slice(7).trim() : '';
    if (given === '' || !tokenMatches(given, token)) {
      // The message never repeats what was sent: a token must not end up in a log.
      next(new SlotswapError('unauthorized', 'missing or wrong admin token; send "Authorization: Bearer <token>" (the token is in admin.tokenFile)'));
      return;
    }
    next();
  };
}

export function actorOf(remoteAddress: string | undefined, authorized: boolean): string {
  return `${authorized ? 'token' : 'anonymous'}@${remoteAddress ?? 'unknown'}`;
}
