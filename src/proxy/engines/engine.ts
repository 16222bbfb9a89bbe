// The one interface between the proxy and whatever moves bytes to an instance (kamal-proxy's Target is the model):
// proxy-server.ts routes, claims and hands over; an engine forwards and reports failures in our own terms only.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * What went wrong, engine-independent (the retry policy reads nothing else):
 * refused: nothing reached the instance (connect refused, its pool closed);
 * reset-before-response: the connection broke before any response byte;
 * reset-after-response: it broke after the answer had begun (the client's response is cut off);
 * timeout: the instance did not answer (or went silent mid-body) within its upstream timeout.
 */
export type FailureCode = 'refused' | 'reset-before-response' | 'reset-after-response' | 'timeout';

export interface ForwardFailure {
  code: FailureCode;
  /** The engine's own words for it (an errno or library code), for the 502/504 message and logs. */
  detail: string;
}

/** Called once per failed attempt with the request and what it was answering into: a shared function, no closure per request. */
export type OnFailure<To> = (failure: ForwardFailure, req: IncomingMessage, to: To) => void;

/** Upstream time limits: a hung or silent instance must cost one answer, never a wedged connection. */
export interface UpstreamTimeouts {
  /** From the request written to the response headers received. */
  headersTimeoutMs: number;
  /** Longest silence between two body chunks of the response. */
  bodyTimeoutMs: number;
  /** An idle pooled connection is closed after this long (the backend's own keep-alive must outlive it). */
  idleTimeoutMs: number;
}

/** Plain HTTP to one instance: streams the request in and the answer out (back-pressure both ways, trailers kept). */
/** An answer that is a long-lived server-sent event stream (text/event-stream without a length): a drain may end it. */
export type OnEventStream = (res: ServerResponse) => void;

export interface HttpEngine {
  /** Writes the answer into res (Connection: close on it while isClosing()); on a failure calls onFailure once, writes nothing more. */
  forward(req: IncomingMessage, res: ServerResponse, isClosing: () => boolean, onFailure: OnFailure<ServerResponse>): void;
  /** The instance stopped: no pooled connection may outlive it; requests still queued fail as refused. */
  destroy(): void;
}

/** WebSocket upgrades to one instance: the two sockets are joined until either side ends, then both are freed. */
export interface WebSocketEngine {
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, onFailure: OnFailure<Duplex>): void;
}
