// Answers the proxy writes itself (errors, notices, the manifest), as JSON, on a response or on a raw upgrade socket.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { STATUS_CODES } from 'node:http';
import { RETRY_AFTER_SECONDS } from '../defaults.js';
import type { ManifestView } from './routing-snapshot.js';

export function sendJson(res: ServerResponse, status: number, body: unknown, retryAfter = false): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const payload = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('content-length', Buffer.byteLength(payload));
  res.setHeader('cache-control', 'no-store');
  if (retryAfter) res.setHeader('retry-after', String(RETRY_AFTER_SECONDS));
  res.end(payload);
}

/** A WebSocket upgrade that cannot be forwarded still gets a proper HTTP answer before the socket closes. */
export function sendJsonOnSocket(socket: Duplex, status: number, body: unknown, retryAfter = false, extraHeaders: readonly (readonly [string, string])[] = []): void {
  const payload = JSON.stringify(body);
  const lines = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}`,
    'content-type: application/json; charset=utf-8',
    `content-length: ${Buffer.byteLength(payload)}`,
    'connection: close',
  ];
  if (retryAfter) lines.push(`retry-after: ${RETRY_AFTER_SECONDS}`);
  for (const [name, value] of extraHeaders) lines.push(`${name}: ${value}`);
  if (socket.writable) socket.end(`${lines.join('\r\n')}\r\n\r\n${payload}`);
  else socket.destroy();
}

/** GET/HEAD of the manifest: no-cache with an ETag, 304 when the client has it already. Returns the status sent. */
export function answerManifest(req: IncomingMessage, res: ServerResponse, view: ManifestView | null): number {
  if (!view) {
    sendJson(res, 503, { error: 'unavailable', message: 'no release is live yet, so there is no manifest' }, true);
    return 503;
  }
  res.setHeader('cache-control', 'no-cache');
  res.setHeader('etag', view.etag);
  if (req.headers['if-none-match'] === view.etag) {
    res.statusCode = 304;
    res.end();
    return 304;
  }
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('content-length', view.body.length);
  res.end(req.method === 'HEAD' ? undefined : view.body);
  return 200;
}
