// Answers to requests Node's parser refuses (malformed, headers too large, too slow), closed the way nginx does:
// answer, shut down writing, keep reading for a moment, then close. Closing at once with the rest of a large request
// unread makes the kernel send a reset, which can overtake the answer, and the client sees only "connection reset".
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ServerResponse } from 'node:http';
import { CLIENT_ERROR_LINGER_MS } from '../defaults.js';
import { sendJsonOnSocket } from './http-answers.js';

interface ClientErrorAnswer {
  status: number;
  error: string;
  message: string;
}

function answerFor(code: string | undefined): ClientErrorAnswer {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, error: 'headers_too_large', message: 'the request headers are larger than the proxy accepts (16 KB); send shorter headers' };
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return { status: 413, error: 'chunk_extensions_too_large', message: 'the chunk extensions of the request body are too large; send the body without them' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, error: 'request_timeout', message: 'the request headers did not arrive in time; send the whole request without pausing' };
    default:
      return { status: 400, error: 'bad_request', message: `the request is not valid HTTP/1.1 (${code ?? 'parse error'}); check the request line and the headers` };
  }
}

const answered = new WeakSet<Duplex>();

/** The proxy's 'clientError' listener; Node may call it again for the same socket while it lingers, hence the set. */
export function answerClientError(err: Error & { code?: string }, socket: Duplex): void {
  if (answered.has(socket)) return;
  answered.add(socket);
  // Node's own rule: never write into a response that has already begun on this connection (_httpMessage is Node's).
  const inFlight = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (err.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  const { status, ...body } = answerFor(err.code);
  sendJsonOnSocket(socket, status, body);
  setTimeout(() => socket.destroy(), CLIENT_ERROR_LINGER_MS).unref();
}
