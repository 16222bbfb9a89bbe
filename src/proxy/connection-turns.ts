// HTTP/1.1 pipelining: Node emits every request a client sends ahead of its answers at once. The proxy works on a
// connection's requests one at a time, in order, as nginx does: a request waits, parsed, until the answer before it
// has ended. So one connection can never hold more than one backend request or open file, and an upgrade that follows
// plain requests takes the socket only once their answers are written. A client that sends more than
// PROXY_MAX_PIPELINED_REQUESTS ahead of its answers has its connection closed.
import type { Duplex } from 'node:stream';
import { PROXY_MAX_PIPELINED_REQUESTS } from '../defaults.js';

interface Turns {
  /** A request of this connection is being worked on (routed, held, forwarded or answered). */
  busy: boolean;
  /** The requests (or the upgrade) that came after it, in order. */
  waiting: (() => void)[];
}

const kTurns = Symbol('slotswap.turns');
type WithTurns = Duplex & { [kTurns]?: Turns };

/** True when the connection has no request in the works: the caller's request takes the turn now. */
export function takeTurn(socket: Duplex): boolean {
  const s = socket as WithTurns;
  const turns = s[kTurns];
  if (turns === undefined) {
    s[kTurns] = { busy: true, waiting: [] };
    return true;
  }
  if (turns.busy) return false;
  turns.busy = true;
  return true;
}

/** Runs `work` once the requests before it on this connection have been answered (takeTurn said no). */
export function waitTurn(socket: Duplex, work: () => void): void {
  const turns = (socket as WithTurns)[kTurns]!;
  if (turns.waiting.length >= PROXY_MAX_PIPELINED_REQUESTS) {
    socket.destroy();
    return;
  }
  turns.waiting.push(work);
}

/** The answer of the request whose turn it was has ended: the next one waiting on the connection runs. */
export function endTurn(socket: Duplex): void {
  const turns = (socket as WithTurns)[kTurns];
  if (turns === undefined) return;
  if (socket.destroyed) {
    turns.waiting.length = 0;
    turns.busy = false;
    return;
  }
  const next = turns.waiting.shift();
  if (next === undefined) turns.busy = false;
  else next();
}

/** True when an answer is still being worked on for this connection: an upgrade arriving now must wait (afterTurns). */
export function turnTaken(socket: Duplex): boolean {
  return (socket as WithTurns)[kTurns]?.busy === true;
}

/** The socket leaves HTTP (an upgrade) once the answers before it are written. */
export function afterTurns(socket: Duplex, leave: () => void): void {
  const turns = (socket as WithTurns)[kTurns]!;
  turns.waiting.push(() => {
    turns.busy = false;
    // The last answer set its keep-alive timer on the socket; what takes it now sets its own.
    (socket as Duplex & { setTimeout?: (ms: number) => void }).setTimeout?.(0);
    leave();
  });
}

/** True when requests already read (or an upgrade) wait on the connection: it need not be read again for them. */
export function turnsWaiting(socket: Duplex): boolean {
  const turns = (socket as WithTurns)[kTurns];
  return turns !== undefined && turns.waiting.length > 0;
}
