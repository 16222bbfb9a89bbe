// slotswap deploy: pack the folder (or take the .tgz), upload it with its sha256, print one line per step.
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { pipeline } from 'node:stream/promises';
import { createReadStream, createWriteStream } from 'node:fs';
import { SlotswapError, describeValue, isErrorCode, exitCodeForCode, EXIT_FAILED, EXIT_STOPPED_WAITING } from '../errors.js';
import { packRelease } from '../release/pack-release.js';
import { sha256File } from '../release/sha256-file.js';
import type { ResultEvent, SlotswapEvent } from '../ops/operation-events.js';
import { AdminClient } from './admin-client.js';
import type { GlobalOptions } from './global-options.js';
import { formatProgress, formatStep, printJson, printLogTail } from './output.js';
import { verb } from './verb.js';

export interface DeployOptions extends GlobalOptions {
  release: string;
  version: string | undefined;
  minCompatible: string | undefined;
  allowDowngrade: boolean;
  inPlace: boolean;
  waitDrain: boolean;
  /** Seconds, as typed (checked here, so the error names what was typed). */
  timeout: string | undefined;
  smoke: string | undefined;
  smokeTimeoutMs: number | undefined;
  canary: number | undefined;
  steps: string | undefined;
  stepMs: number | undefined;
  autoPromote: boolean;
  maxErrorRate: number | undefined;
  maxP99Ms: number | undefined;
  analysisWindowMs: number | undefined;
  minRequests: number | undefined;
  watch: number | undefined;
  wait: boolean;
}

/** The progressive options as the admin API takes them (undefined: not given). */
function progressiveQuery(o: DeployOptions): Record<string, string | boolean | undefined> {
  const n = (v: number | undefined) => (v === undefined ? undefined : String(v));
  return {
    canary: n(o.canary),
    steps: o.steps,
    stepMs: n(o.stepMs),
    noAutoPromote: !o.autoPromote,
    maxErrorRate: n(o.maxErrorRate),
    maxP99Ms: n(o.maxP99Ms),
    analysisWindowMs: n(o.analysisWindowMs),
    minRequests: n(o.minRequests),
    watch: n(o.watch),
    wait: o.wait,
  };
}

/** A folder is packed into a temporary .tgz; a file is taken as the .tgz itself. */
async function archiveFor(release: string): Promise<{ file: string; cleanup: () => Promise<void> }> {
  let info;
  try {
    info = await stat(release);
  } catch {
    throw new SlotswapError('bad_request', `release ${JSON.stringify(release)} does not exist; pass a release folder or a .tgz`);
  }
  if (info.isFile()) return { file: release, cleanup: async () => {} };
  const dir = await mkdtemp(path.join(os.tmpdir(), 'slotswap-deploy-'));
  const file = path.join(dir, 'release.tgz');
  await pipeline(packRelease(release), createWriteStream(file));
  return { file, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** The text line an event prints as: finished steps, the health wait's progress, a wait before the start. */
function eventLine(event: SlotswapEvent): string | null {
  if (event.type === 'step' && event.phase !== 'begin') return formatStep(event.phase === 'end', event.step, event.ms, event.detail);
  if (event.type === 'progress') return formatProgress(event.step, event.ms, event.detail);
  if (event.type === 'wait') return event.message;
  return null;
}

/** Printed when --timeout ran out: what is known about the deploy, which is not a failure. */
function stoppedWaiting(seconds: number, answered: boolean): string {
  return answered
    ? `stopped waiting after ${seconds} s; the deploy goes on in the daemon: slotswap status / slotswap history`
    : `stopped waiting after ${seconds} s, before the daemon had taken the upload: the deploy may not have started; see slotswap status / slotswap history`;
}

/** --timeout in seconds: a number above 0, or none. */
function timeoutSeconds(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (value.trim() === '' || !Number.isFinite(seconds) || seconds <= 0) {
    throw new SlotswapError('bad_request', `--timeout: expected a number of seconds above 0, got ${describeValue(value)}`);
  }
  return seconds;
}

export async function deployCommand(options: DeployOptions): Promise<number> {
  const timeout = timeoutSeconds(options.timeout);
  const client = await AdminClient.fromOptions(options);
  const { file, cleanup } = await archiveFor(options.release);
  // A client-side limit on the waiting only: once aborted, the daemon carries on with what it took.
  const waiting = new AbortController();
  const timer = timeout !== undefined ? setTimeout(() => waiting.abort(), timeout * 1000) : undefined;
  let answered = false;
  const events: SlotswapEvent[] = [];
  let result: ResultEvent | null = null;
  try {
    const [sha256, { size }] = await Promise.all([sha256File(file), stat(file)]);
    const res = await client.request('POST', '/api/deploy', {
      query: { sha256, version: options.version, minCompatible: options.minCompatible, allowDowngrade: options.allowDowngrade, inPlace: options.inPlace, waitDrain: options.waitDrain, smoke: options.smoke, smokeTimeoutMs: options.smokeTimeoutMs === undefined ? undefined : String(options.smokeTimeoutMs), ...progressiveQuery(options) },
      headers: { 'content-type': 'application/gzip', 'content-length': size },
      body: createReadStream(file),
      signal: waiting.signal,
    });
    if ((res.statusCode ?? 500) !== 200) throw await client.failure(res);
    answered = true;
    for await (const line of createInterface({ input: res, crlfDelay: Infinity })) {
      if (!line.trim()) continue;
      const event = JSON.parse(line) as SlotswapEvent;
      events.push(event);
      if (event.type === 'result') result = event;
      else if (!options.json) {
        const text = eventLine(event);
        if (text) console.log(text);
      }
    }
    // An aborted response may just end: that is the limit too, not a daemon that hung up.
    if (!result && waiting.signal.aborted) throw new Error('stopped waiting');
  } catch (err) {
    if (!waiting.signal.aborted) throw err;
    // The limit ran out just as the result came in: the result is the answer.
    if (result) return finish(options, events, result);
    const message = stoppedWaiting(timeout!, answered);
    if (options.json) printJson({ stoppedWaiting: true, afterSeconds: timeout, accepted: answered, message, steps: events.filter((e) => e.type === 'step') });
    else console.error(`slotswap: ${message}`);
    return EXIT_STOPPED_WAITING;
  } finally {
    clearTimeout(timer);
    await cleanup();
  }
  if (!result) throw new SlotswapError('operation_failed', 'the daemon closed the connection before the deploy finished; check "slotswap status" and "slotswap history"');
  return finish(options, events, result);
}

/** What became of the slot that was live: "; slot a is draining", or kept running under --watch, or drained. */
function oldSlotAfter(options: DeployOptions, result: ResultEvent): string {
  const previous = result.previous as { slot: string; version: string | null } | null;
  if (!previous) return '';
  // Under --watch the old slot keeps running first; it drains only once the watch is over.
  if (options.watch !== undefined && result.outcome === undefined) {
    return `; slot ${previous.slot} keeps running ${options.watch / 1000} s more, flipped back to at once if the analysis trips (slotswap status)`;
  }
  return result.drainedWaited ? `; slot ${previous.slot} drained and stopped` : `; slot ${previous.slot} is draining`;
}

/** Prints the deploy's result event; returns its exit code. */
function finish(options: DeployOptions, events: SlotswapEvent[], result: ResultEvent): number {
  if (options.json) printJson({ ...result, steps: events.filter((e) => e.type === 'step') });
  if (result.ok) {
    if (!options.json) {
      const after = oldSlotAfter(options, result);
      const canary = result.canary as { slot: string; version: string; weight: number; fromSlot: string; steps: number[]; stepMs: number | null; autoPromote: boolean } | null | undefined;
      if (canary && result.outcome === undefined) {
        console.log(`canary: slot ${canary.slot} (${canary.version}) takes ${canary.weight} % of new clients; slot ${canary.fromSlot} stays live`);
        if (canary.steps.length > 0) console.log(`steps: ${canary.steps.join(', ')} % every ${canary.stepMs} ms${canary.autoPromote ? ', then promoted' : ''}`);
        console.log('promote: slotswap promote    abort: slotswap abort    weight: slotswap canary set <percent>');
      } else if (typeof result.outcome === 'string') {
        console.log(`${String(result.message)}`);
      } else if (typeof result.heldMs === 'number') {
        console.log(`replaced slot ${String(result.slot)} in place with ${String(result.version)}; requests held ${result.heldMs} ms, ${String(result.queued)} queued`);
      } else console.log(`deployed ${String(result.version)} to slot ${String(result.slot)}, now live${after}`);
    }
    return 0;
  }
  if (!options.json) {
    console.error(`slotswap: deploy failed: ${result.message ?? result.error}`);
    printLogTail(result.logTail);
  }
  return isErrorCode(result.error) ? exitCodeForCode(result.error) : EXIT_FAILED;
}

export const deployVerb = verb({
  command: 'deploy <release>',
  describe: 'deploy a release folder or .tgz to the idle slot and flip to it',
  builder: (y) =>
    y
      .positional('release', { type: 'string', demandOption: true, describe: 'release folder (with release.json) or .tgz' })
      .option('version', { type: 'string', describe: "override release.json's version" })
      .option('min-compatible', { type: 'string', describe: "override release.json's minCompatibleVersion" })
      .option('allow-downgrade', { type: 'boolean', default: false, describe: 'allow a version not above the live one' })
      .option('in-place', { type: 'boolean', default: false, describe: 'replace the live slot under a hold instead' })
      .option('wait-drain', { type: 'boolean', default: false, describe: 'wait first for the idle slot to finish draining, and return only once the old slot has drained and stopped' })
      .option('timeout', { type: 'string', describe: 'stop waiting after this many seconds (exit 5; the daemon goes on with the deploy)' })
      .option('smoke', { type: 'string', describe: 'shell command run in the release folder against $SLOTSWAP_PREVIEW_URL before the flip; non-zero exit fails the deploy' })
      .option('smoke-timeout-ms', { type: 'number', describe: 'kill the smoke command and fail the deploy after this many ms (default 60000)' })
      .option('canary', { type: 'number', describe: 'instead of the flip: send this percentage (0-100) of new clients to the new slot; the live slot stays live until slotswap promote' })
      .option('steps', { type: 'string', describe: 'canary weights to advance through by themselves, e.g. 10,25,50 (needs --step-ms)' })
      .option('step-ms', { type: 'number', describe: 'how long each canary weight holds before the next (the last: before the promotion)' })
      .option('auto-promote', { type: 'boolean', default: true, describe: 'promote after the last step (--no-auto-promote: stay at the last weight)' })
      .option('max-error-rate', { type: 'number', describe: 'analysis: abort (canary) or roll back (watch) when the new slot answers more than this percentage of 5xx and proxy errors' })
      .option('max-p99-ms', { type: 'number', describe: "analysis: abort or roll back when the new slot's p99 exceeds this many ms and the other slot's p99" })
      .option('analysis-window-ms', { type: 'number', describe: 'analysis: the sliding window the figures cover (default 10000)' })
      .option('min-requests', { type: 'number', describe: 'analysis: answers needed in the window before it judges (default 20)' })
      .option('watch', { type: 'number', describe: 'after the flip (or the promotion) keep the old slot running this many ms, rolling back at once on an analysis breach' })
      .option('wait', { type: 'boolean', default: false, describe: 'with --canary or --watch: wait until promoted, aborted or rolled back (exit 1 unless promoted)' }),
  run: deployCommand,
});
