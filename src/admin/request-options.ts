// Reading an admin request's options (query string or X-Slotswap-* header) with "expected X, got Y" errors.
import type { Request } from 'express';
import { SlotswapError } from '../errors.js';

/** `?name=` or the `X-Slotswap-<name>` header: the CLI sends headers, a browser form the query. */
export function option(req: Request, name: string): string | undefined {
  const fromQuery = req.query[name];
  if (typeof fromQuery === 'string') return fromQuery;
  const fromHeader = req.headers[`x-slotswap-${name.toLowerCase()}`];
  return typeof fromHeader === 'string' ? fromHeader : undefined;
}

export function flag(req: Request, name: string): boolean {
  const value = option(req, name);
  if (value === undefined || value === '' || value === 'false' || value === '0') return false;
  if (value === 'true' || value === '1') return true;
  throw new SlotswapError('bad_request', `${name} must be true or false, got ${JSON.stringify(value.slice(0, 40))}`);
}

/** A whole-number query parameter within [min, max]; `fallback` when it is absent. */
export function wholeNumber(value: unknown, name: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (typeof value !== 'string' || !Number.isInteger(n) || n < min || n > max) {
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
