// /api/events read with fetch (EventSource cannot send the Authorization header): reconnects with backoff,
// treats a silent stream as dropped (the daemon sends a heartbeat every 15 s) and stops on a refused token.
import { getToken, refuseToken } from './api-client.js';
import { sseParser } from './sse-parser.js';

const STREAM_STALL_MS = 45000;

let stream = null;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Follows the event stream until stopEventStream() or a 401.
 * onConnected() runs on each (re)connection, onDisconnected(failures) after each drop, onEvent({ type, data }) per event.
 */
export async function followEvents({ onEvent, onConnected, onDisconnected }) {
  const outer = new AbortController();
  stream = outer;
  let retryMs = 1000;
  let failures = 0;
  while (!outer.signal.aborted && getToken()) {
    const conn = new AbortController();
    const abortConn = () => conn.abort();
    outer.signal.addEventListener('abort', abortConn, { once: true });
    let watchdog = null;
    const feed = () => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => conn.abort(), STREAM_STALL_MS);
    };
    try {
      const res = await fetch('api/events', { cache: 'no-store', signal: conn.signal, headers: { authorization: `Bearer ${getToken()}`, accept: 'text/event-stream' } });
      if (res.status === 401) {
        refuseToken();
        return;
      }
      if (!res.ok || !res.body) throw new Error(`GET /api/events answered ${res.status}`);
      failures = 0;
      onConnected();
      feed();
      const parser = sseParser((event) => onEvent(event), (ms) => (retryMs = ms));
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        feed();
        parser(value);
      }
    } catch {
      // dropped, refused or stalled: reconnect below
    } finally {
      clearTimeout(watchdog);
      outer.signal.removeEventListener('abort', abortConn);
    }
    if (outer.signal.aborted) return;
    failures++;
    onDisconnected(failures);
    await sleep(Math.min(retryMs * Math.min(2 ** (failures - 1), 10), 15000));
  }
}

export function stopEventStream() {
  stream?.abort();
  stream = null;
}
