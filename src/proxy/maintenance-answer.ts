// The maintenance answer: 503 with Retry-After, as the operator's HTML page, JSON or plain text, whichever the client takes.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { MaintenanceView } from './maintenance-gate.js';

export type MaintenanceBody = 'html' | 'json' | 'text';

/** The media ranges of an Accept header that the client takes at all (q > 0), lower-cased, parameters dropped. */
function acceptedRanges(accept: string): string[] {
  const ranges: string[] = [];
  for (const part of accept.split(',')) {
    const [range, ...params] = part.split(';').map((p) => p.trim().toLowerCase());
    if (!range) continue;
    const q = params.find((p) => p.startsWith('q='));
    if (q !== undefined && !(Number(q.slice(2)) > 0)) continue;
    ranges.push(range);
  }
  return ranges;
}

/**
 * The page only for a client that names HTML (a browser), and only when there is one; JSON for an API client (no
 * Accept, JSON, or anything); plain text for a client that takes neither.
 */
export function maintenanceBody(accept: string | undefined, hasPage: boolean): MaintenanceBody {
  if (accept === undefined || accept.trim() === '') return 'json';
  const ranges = acceptedRanges(accept);
  if (hasPage && ranges.some((r) => r === 'text/html' || r === 'application/xhtml+xml')) return 'html';
  if (ranges.some((r) => r === 'application/json' || r === 'application/*' || r === '*/*' || r.endsWith('+json'))) return 'json';
  return 'text';
}

const CONTENT_TYPES: Record<MaintenanceBody, string> = {
  html: 'text/html; charset=utf-8',
  json: 'application/json; charset=utf-8',
  text: 'text/plain; charset=utf-8',
};

function bodyOf(view: MaintenanceView, kind: MaintenanceBody): Buffer {
  return kind === 'html' ? view.page! : kind === 'json' ? view.json : view.text;
}

export function answerMaintenance(req: IncomingMessage, res: ServerResponse, view: MaintenanceView): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const kind = maintenanceBody(req.headers.accept, view.page !== null);
  const body = bodyOf(view, kind);
  res.statusCode = 503;
  res.setHeader('content-type', CONTENT_TYPES[kind]);
  res.setHeader('content-length', body.length);
  res.setHeader('cache-control', 'no-store');
  res.setHeader('retry-after', view.retryAfter);
  // Caches must not serve the page to an API client or the JSON to a browser.
  res.setHeader('vary', 'accept');
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** A WebSocket upgrade during maintenance: the JSON answer, then the socket closes. */
export function answerMaintenanceOnSocket(socket: Duplex, view: MaintenanceView): void {
  const head = [
    'HTTP/1.1 503 Service Unavailable',
    `content-type: ${CONTENT_TYPES.json}`,
    `content-length: ${view.json.length}`,
    `retry-after: ${view.retryAfter}`,
    'connection: close',
  ];
  if (socket.writable) socket.end(Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`), view.json]));
  else socket.destroy();
}
