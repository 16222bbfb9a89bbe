// Node hands every request with an Upgrade header to 'upgrade' and detaches the socket from its HTTP parser.
// An Upgrade that is not a WebSocket (h2c from curl --http2, anything else) is served as the plain HTTP/1.1
// request it also is, as nginx does: its head is rebuilt without the upgrade headers and the socket goes back
// to the server as a fresh connection, so it takes the normal request path (routing, hold, body, keep-alive).
import type http from 'node:http';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

/** Headers that only mean something for the upgrade itself; framing headers (Content-Length, ...) are never dropped. */
const UPGRADE_ONLY = new Set(['upgrade', 'connection', 'http2-settings']);
const KEPT_CONNECTION_TOKENS = new Set(['close', 'keep-alive']);

function tokens(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value.join(',') : value)
    .split(',')
    .map((token) => token.trim().toLowerCase())
    .filter((token) => token !== '');
}

/** Only a GET asking for "websocket" is a WebSocket handshake (RFC 6455 section 4.1). */
export function isWebSocketUpgrade(req: IncomingMessage): boolean {
  return req.method === 'GET' && tokens(req.headers.upgrade).includes('websocket');
}

/** The request head again, without Upgrade, HTTP2-Settings and the upgrade token of Connection (close/keep-alive kept). */
export function headWithoutUpgrade(method: string, url: string, httpVersion: string, rawHeaders: readonly string[]): Buffer {
  const lines = [`${method} ${url} HTTP/${httpVersion}`];
  const connection: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    const lower = name.toLowerCase();
    if (lower === 'connection') connection.push(...tokens(rawHeaders[i + 1]).filter((token) => KEPT_CONNECTION_TOKENS.has(token)));
    if (UPGRADE_ONLY.has(lower)) continue;
    lines.push(`${name}: ${rawHeaders[i + 1]}`);
  }
  if (connection.length > 0) lines.push(`Connection: ${connection.join(', ')}`);
  // latin1 both ways: Node decoded the head as latin1, so the bytes come back unchanged.
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
}

/** Gives the socket back to the HTTP server with the rebuilt head (and whatever followed it) still to be read. */
export function serveAsPlainRequest(server: http.Server, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  socket.unshift(Buffer.concat([headWithoutUpgrade(req.method ?? 'GET', req.url ?? '/', req.httpVersion, req.rawHeaders), head]));
  server.emit('connection', socket);
}
