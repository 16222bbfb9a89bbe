// Answers the proxy writes itself (errors, notices, the manifest), as JSON, on a response or on a raw upgrade socket.
import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { STATUS_CODES } from 'node:http';
import { RETRY_AFTER_SECONDS } from '../defaults.js';

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
export function sendJsonOnSocket(socket: Duplex, status: number, body: unknown, retryAfter = false): void {
  const payload = JSON.stringify(body);
  const lines = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}`,
    'content-type: application/json; charset=utf-8',
    `content-length: ${Buffer.byteLength(payload)}`,
    'connection: close',
  ];
  if (retryAfter) lines.push(`retry-after: ${RETRY_AFTER_SECONDS}`);
  if (socket.writable) socket.end(`${lines.join('\r\n')}\r\n\r\n${payload}`);
  else socket.destroy();
}
