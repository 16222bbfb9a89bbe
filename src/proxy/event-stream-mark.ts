// Marks an answer as a server-sent event stream when the engine writes its head: an engine that passes the upstream's
// headers straight to writeHead (as a list) leaves nothing for res.getHeader() to read later.
import type { ServerResponse } from 'node:http';

const kEventStream = Symbol('slotswap.eventStream');

type Marked = ServerResponse & { [kEventStream]?: true };

/** Called with the answer's content type and whether it has a length, once, as its head is written. */
export function markIfEventStream(res: ServerResponse, contentType: string | null, hasLength: boolean): void {
  if (!hasLength && contentType !== null && contentType.toLowerCase().startsWith('text/event-stream')) (res as Marked)[kEventStream] = true;
}

export function isMarkedEventStream(res: ServerResponse): boolean {
  return (res as Marked)[kEventStream] === true;
}
