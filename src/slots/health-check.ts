// Waits until an instance answers its health path with 2xx, backing off, within a deadline; checks it is our process.
import http from 'node:http';
import pRetry, { AbortError } from 'p-retry';
import { DEFAULT_HEALTH_PROBE_TIMEOUT_MS, MAX_HEALTH_BACKOFF_MS } from '../defaults.js';
import { SlotswapError } from '../errors.js';
import type { InstanceProcess } from './instance-process.js';
import { groupOf } from './process-group.js';

export interface HealthOptions {
  path: string;
  intervalMs: number;
  timeoutMs: number;
  /** Poll with a flat interval instead of backing off (a hold is waiting on this). */
  fast?: boolean;
  /** Filled in as the wait goes, for progress reports: attempts so far and the last answer or error. */
  progress?: HealthProgress;
}

export interface HealthProgress {
  attempts: number;
  last: string;
}

interface ProbeAnswer {
  status: number;
  body: string;
}

function probe(port: number, path: string): Promise<ProbeAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false, timeout: DEFAULT_HEALTH_PROBE_TIMEOUT_MS }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (body.length < 65_536) body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${DEFAULT_HEALTH_PROBE_TIMEOUT_MS} ms`)));
    req.on('error', reject);
  });
}

/** The pid a health answer reports, if it is JSON with a numeric pid. */
function reportedPid(body: string): number | null {
  try {
    const parsed = JSON.parse(body) as unknown;
    if (typeof parsed === 'object' && parsed !== null && typeof (parsed as { pid?: unknown }).pid === 'number') return (parsed as { pid: number }).pid;
  } catch {
    // Not JSON: any language may answer health with plain text.
  }
  return null;
}

/** Resolves with the health answer's body once healthy; throws operation_failed otherwise. */
export async function waitHealthy(instance: InstanceProcess, options: HealthOptions): Promise<string> {
  const { port, label } = instance.spec;
  const started = Date.now();
  let lastProblem = 'no attempt made';
  let fatal: string | null = null;
  const abort = (why: string): AbortError => {
    fatal = why;
    return new AbortError(why);
  };
  // Described once its group has settled, so that leftovers of a start that daemonized are named.
  const exitedAbort = async (): Promise<AbortError> => {
    await instance.exited;
    return abort(instance.describeExit());
  };
  const attempt = async (): Promise<string> => {
    if (!instance.running) throw await exitedAbort();
    if (Date.now() - started > options.timeoutMs) throw abort(`not healthy within ${options.timeoutMs} ms (last: ${lastProblem})`);
    if (options.progress) options.progress.attempts++;
    let answer: ProbeAnswer;
    try {
      answer = await probe(port, options.path);
    } catch (err) {
      lastProblem = (err as Error).message;
      if (options.progress) options.progress.last = lastProblem;
      throw err;
    }
    if (options.progress) options.progress.last = `GET ${options.path} answered ${answer.status}`;
    if (!instance.running) throw await exitedAbort();
    const pid = reportedPid(answer.body);
    // A wrapper (npm start, sh -c) leads the group; the server answering is its child, in the same group.
    if (pid !== null && pid !== instance.pid && (await groupOf(pid)) !== instance.pgid) {
      throw abort(`port ${port} answered for pid ${pid}, which is not in our instance's process group ${instance.pgid}: another process holds the port`);
    }
    if (answer.status < 200 || answer.status > 299) {
      lastProblem = `GET ${options.path} answered ${answer.status}`;
      throw new Error(lastProblem);
    }
    return answer.body;
  };
  try {
    return await pRetry(attempt, {
      retries: Number.MAX_SAFE_INTEGER,
      factor: options.fast ? 1 : 1.5,
      minTimeout: options.intervalMs,
      maxTimeout: options.fast ? options.intervalMs : Math.max(options.intervalMs, MAX_HEALTH_BACKOFF_MS),
      maxRetryTime: options.timeoutMs,
      randomize: false,
    });
  } catch {
    const why = fatal ?? `not healthy within ${options.timeoutMs} ms (last: ${lastProblem})`;
    throw new SlotswapError('operation_failed', `instance ${label} failed its health check: ${why}`);
  }
}
