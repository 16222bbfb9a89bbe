// Request facts the router needs, read the way RFC 9112 says: the absolute form's path is the target, one Host only.

export interface AbsoluteForm {
  /** Origin form: the path and query of the absolute URL ("/" when it has no path). */
  path: string;
  /** Host (and port) of the absolute URL, without userinfo; "" when it names none. */
  authority: string;
}

const ABSOLUTE_FORM = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i;

/** The parts of an absolute-form target (`GET http://host/x`), or null for an origin-form one (`GET /x`). */
export function splitAbsoluteForm(url: string): AbsoluteForm | null {
  if (url.charCodeAt(0) === 47 /* / */) return null;
  const match = ABSOLUTE_FORM.exec(url);
  if (!match) return null;
  const rest = url.slice(match[0].length);
  const path = rest === '' || rest.charCodeAt(0) === 35 /* # */ ? '/' : rest.charCodeAt(0) === 63 /* ? */ ? `/${rest}` : rest;
  const authority = match[1]!;
  return { path, authority: authority.slice(authority.lastIndexOf('@') + 1) };
}

/** The path the router decides on: the target itself, or the path of an absolute-form target. */
export function originForm(url: string): string {
  return splitAbsoluteForm(url)?.path ?? url;
}

/** How many Host header lines the request carried (Node keeps only the first in req.headers). */
export function hostHeaderCount(rawHeaders: readonly string[]): number {
  let count = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) if (rawHeaders[i]!.length === 4 && rawHeaders[i]!.toLowerCase() === 'host') count++;
  return count;
}

export const DUPLICATE_HOST = {
  error: 'bad_request',
  message: 'the request has more than one Host header (RFC 9112 section 3.2 allows exactly one); send a single Host header',
} as const;
