// Closed-loop load: N keep-alive clients, each recording every request's outcome, bounded in count and time.
import http from 'node:http';
import { createHash, randomBytes } from 'node:crypto';

export interface Outcome {
  client: number;
  kind: string;
  start: number;
  end: number;
  status: number;
  version: string | null;
  slot: string | null;
  instance: number | null;
  error: string | null;
}

export interface LoadOptions {
  baseUrl: string;
  clients: number;
  /** Stop sending once this returns true (checked before each request). */
  stop: () => boolean;
  /** Hard bounds, whatever stop() says. */
  maxMs?: number;
  maxRequestsPerClient?: number;
  /** Request mix: each client cycles through these. */
  kinds?: ('get' | 'post' | 'slow')[];
  headers?: Record<string, string>;
}

export interface LoadRun {
  done: Promise<Outcome[]>;
  sent: () => number;
  /** The outcomes recorded so far (the run keeps adding to it). */
  answered: () => readonly Outcome[];
}

function once(agent: http.Agent, baseUrl: string, kind: string, headers: Record<string, string>): Promise<Omit<Outcome, 'client' | 'kind' | 'start' | 'end'>> {
  return new Promise((resolve) => {
    const body = kind === 'post' ? randomBytes(256 + Math.floor(Math.random() * 4096)).toString('base64') : undefined;
    const path = kind === 'slow' ? '/slow?ms=150' : kind === 'post' ? '/echo' : '/';
    const req = http.request(`${baseUrl}${path}`, { method: body ? 'POST' : 'GET', agent, headers: { ...headers, ...(body ? { 'content-type': 'text/plain' } : {}) }, timeout: 30_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', (err) => resolve({ status: res.statusCode ?? 0, version: null, slot: null, instance: null, error: err.message }));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: { version?: string; slot?: string; sha256?: string; instance?: number } = {};
        try {
          parsed = JSON.parse(text) as typeof parsed;
        } catch {
          // status check below reports it
        }
        let error: string | null = res.statusCode === 200 ? null : `HTTP ${res.statusCode}: ${text.slice(0, 200)}`;
        if (body && !error && parsed.sha256 !== createHash('sha256').update(body).digest('hex')) error = 'echoed body differs from the body sent';
        resolve({ status: res.statusCode ?? 0, version: parsed.version ?? null, slot: (res.headers['x-served-by-slot'] as string) ?? null, instance: parsed.instance ?? null, error });
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err) => resolve({ status: 0, version: null, slot: null, instance: null, error: err.message }));
    req.end(body);
  });
}

export function startLoad(options: LoadOptions): LoadRun {
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.clients });
  const kinds = options.kinds ?? ['get'];
  const started = Date.now();
  const maxMs = options.maxMs ?? 60_000;
  const maxPerClient = options.maxRequestsPerClient ?? 100_000;
  let sent = 0;
  const outcomes: Outcome[] = [];
  const client = async (id: number) => {
    for (let i = 0; i < maxPerClient && !options.stop() && Date.now() - started < maxMs; i++) {
      const kind = kinds[(id + i) % kinds.length]!;
      const start = Date.now();
      sent++;
      const result = await once(agent, options.baseUrl, kind, options.headers ?? {});
      outcomes.push({ client: id, kind, start, end: Date.now(), ...result });
    }
  };
  const done = Promise.all(Array.from({ length: options.clients }, (_, id) => client(id))).then(() => {
    agent.destroy();
    return outcomes;
  });
  return { done, sent: () => sent, answered: () => outcomes };
}

export function failures(outcomes: Outcome[]): Outcome[] {
  return outcomes.filter((o) => o.error !== null || o.status !== 200);
}

/** What answered the requests that started after `at` (empty when none did, so an equality check cannot pass vacuously). */
export function answeredAfter(outcomes: Outcome[], at: number, key: (o: Outcome) => string = (o) => String(o.version)): Set<string> {
  return new Set(outcomes.filter((o) => o.start > at).map(key));
}

/** Waits until `count` requests that started after `after` have been answered: traffic really met the moment, instead of a sleep. */
export async function whenAnswered(load: LoadRun, count: number, after = 0, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const got = load.answered().filter((o) => o.start > after).length;
    if (got >= count) return;
    if (Date.now() > until) throw new Error(`only ${got} of ${count} requests answered within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
