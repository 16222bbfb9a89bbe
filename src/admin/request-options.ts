// Reading an admin request's options (query string or X-Slotswap-* header) with "expected X, got Y" errors.
import type { Request } from 'express';
import { SlotswapError } from '../errors.js';

const quoted = (value: string) => JSON.stringify(value.slice(0, 40));

/** The values a request gave for one option, with where each came from; repeats are refused, never dropped. */
function given(req: Request, name: string): { query?: string; header?: string } {
  const header = `X-Slotswap-${name.charAt(0).toUpperCase()}${name.slice(1)}`;
  const fromQuery: unknown = req.query[name];
  const fromHeaders = req.headersDistinct[header.toLowerCase()] ?? [];
  const queryCount = Array.isArray(fromQuery) ? fromQuery.length : fromQuery === undefined ? 0 : 1;
  if (queryCount > 1) throw new SlotswapError('bad_request', `${name} was given ${queryCount} times; give it once`, { option: name });
  if (fromHeaders.length > 1) throw new SlotswapError('bad_request', `the ${header} header was given ${fromHeaders.length} times; give it once`, { option: name });
  if (fromQuery !== undefined && typeof fromQuery !== 'string') {
    throw new SlotswapError('bad_request', `${name} must be a plain value like ?${name}=..., not a nested parameter`, { option: name });
  }
  return { query: fromQuery, header: fromHeaders[0] };
}

/** `?name=` or the `X-Slotswap-<Name>` header: a browser form sends the query, a script may send headers; both must agree. */
export function option(req: Request, name: string): string | undefined {
  const { query, header } = given(req, name);
  if (query !== undefined && header !== undefined && query !== header) {
    throw new SlotswapError('bad_request', `${name} was given as ${quoted(query)} in the query and ${quoted(header)} in the X-Slotswap-${name.charAt(0).toUpperCase()}${name.slice(1)} header; give it once`, { option: name });
  }
  return query ?? header;
}

export function flag(req: Request, name: string): boolean {
  const value = option(req, name);
  if (value === undefined || value === '' || value === 'false' || value === '0') return false;
  if (value === 'true' || value === '1') return true;
  throw new SlotswapError('bad_request', `${name} must be true or false, got ${quoted(value)}`);
}

/** A whole-number query parameter within [min, max]; `fallback` when it is absent. */
export function wholeNumber(value: unknown, name: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  // Digits only: "1e3", "0x10" and " 5" are numbers to Number() but not what the docs promise.
  if (typeof value !== 'string' || !/^\d{1,15}$/.test(value) || n < min || n > max) {
    throw new SlotswapError('bad_request', `${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(String(value).slice(0, 40))}`);
  }
  return n;
}

/** Refuses an upload whose declared size is already too large, before reading a byte of it. */
export function checkDeclaredSize(req: Request, maxBytes: number): void {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    throw new SlotswapError('payload_too_large', `the upload is ${declared} bytes, over uploads.maxBytes (${maxBytes}); raise the limit or send a smaller file`);
  }
}
