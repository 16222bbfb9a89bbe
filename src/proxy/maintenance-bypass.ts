// The maintenance bypass value: an HMAC of the admin token, so it changes whenever the token does and never reveals it.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const BYPASS_COOKIE = 'slotswap_bypass';
export const BYPASS_HEADER = 'x-slotswap-bypass';
/** Versioned: a new derivation would name itself here, and old values would stop working. */
const BYPASS_PURPOSE = 'slotswap maintenance bypass v1';

/** 64 hex characters; the same token always gives the same value. */
export function maintenanceBypass(token: string): string {
  return createHmac('sha256', token).update(BYPASS_PURPOSE).digest('hex');
}

/** Constant-time comparison of a value a request carries with the expected one. */
export function bypassMatches(given: string | undefined, expected: string | null): boolean {
  if (expected === null || given === undefined || given.length !== expected.length) return false;
  // latin1, as Node decoded the header: one byte per character, so equal lengths stay equal (UTF-8 made é two bytes
  // and timingSafeEqual threw, which crashed the daemon on one request).
  return timingSafeEqual(Buffer.from(given, 'latin1'), Buffer.from(expected, 'latin1'));
}

/** The value of cookie `name` in a Cookie header ("a=1; slotswap_bypass=v"), or undefined. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** A Cookie header without the bypass cookie (the app never sees a value derived from the admin token); null when nothing is left. */
export function withoutBypassCookie(header: string): string | null {
  if (!header.includes(BYPASS_COOKIE)) return header;
  const kept = header.split(';').filter((part) => part.slice(0, part.indexOf('=')).trim() !== BYPASS_COOKIE).map((part) => part.trim());
  return kept.length === 0 ? null : kept.join('; ');
}
