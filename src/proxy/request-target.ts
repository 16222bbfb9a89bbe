// Request facts the router needs, read the way RFC 9112 says: the absolute form's path is the target, one Host only,
// and the asterisk form ("OPTIONS *") asks the server itself: the proxy answers it, no instance could.

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

/** The methods the proxy forwards: the answer to "OPTIONS *" (about the server as a whole, RFC 9110 section 9.3.7). */
export const PROXY_ALLOW = 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS';

/** What the proxy answers itself instead of routing a request whose target or Host is not one it can route. */
export interface TargetAnswer {
  status: number;
  body: { error: string; message: string } | null;
  /** The connection is closed after it (the request was malformed). */
  close: boolean;
}

const SERVER_OPTIONS: TargetAnswer = { status: 204, body: null, close: false };
const ASTERISK_NOT_OPTIONS: TargetAnswer = {
  status: 400,
  body: { error: 'bad_request', message: 'the request target "*" is for OPTIONS only (RFC 9112 section 3.2.4); send a path such as /' },
  close: true,
};
const NO_HOST: TargetAnswer = {
  status: 400,
  body: { error: 'bad_request', message: 'expected a Host header (HTTP/1.1 requires one), got none; send Host: <the name you reach the proxy by>' },
  close: true,
};
const TWO_HOSTS: TargetAnswer = { status: 400, body: DUPLICATE_HOST, close: true };

/** null when the request can be routed; else what the proxy answers (OPTIONS *, a stray asterisk, no Host or two). */
export function targetAnswer(method: string | undefined, url: string, httpVersion: string, rawHeaders: readonly string[]): TargetAnswer | null {
  const hosts = hostHeaderCount(rawHeaders);
  if (hosts > 1) return TWO_HOSTS;
  if (hosts === 0 && httpVersion !== '1.0') return NO_HOST;
  if (url.charCodeAt(0) === 42 /* * */ && url.length === 1) return method === 'OPTIONS' ? SERVER_OPTIONS : ASTERISK_NOT_OPTIONS;
  return null;
}
