// Deploy step "smoke": the operator's check runs against the new slot through the proxy (its preview address)
// before any public request can reach it; a non-zero exit or a timeout fails the deploy and nothing flips.
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { SlotswapError, describeValue } from '../errors.js';
import type { SlotName } from '../config/config-types.js';
import { DEFAULT_SMOKE_TIMEOUT_MS, MAX_SMOKE_COMMAND_CHARS, MAX_SMOKE_TIMEOUT_MS, SMOKE_OUTPUT_TAIL_LINES } from '../defaults.js';
import { signalGroup } from '../slots/process-group.js';
import type { Orchestrator } from './orchestrator.js';
import type { Step } from './operation-runner.js';
import { slotUrl } from './manifest.js';

export interface SmokeOptions {
  command: string;
  timeoutMs: number;
}

export interface SmokeContext {
  to: SlotName;
  smoke: SmokeOptions | null;
}

export interface SmokeResult {
  /** The shell's exit code; null when it was killed (timeout) or ended by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  ms: number;
  /** The last lines of its stdout and stderr, interleaved as they came. */
  tail: string[];
}

/** A line longer than this is cut in the tail: one minified blob must not push out every other line. */
const TAIL_LINE_MAX_CHARS = 500;
/** After the shell exits, its pipes may stay open a moment (a child it left behind): bounded, then closed. */
const PIPE_CLOSE_GRACE_MS = 1_000;

/** Checks the --smoke and --smoke-timeout-ms values (the admin API's smoke and smokeTimeoutMs); null: no smoke check. */
export function parseSmokeOptions(command: string | undefined, timeoutMs: string | undefined): SmokeOptions | null {
  if (command === undefined || command === '') {
    if (timeoutMs !== undefined && timeoutMs !== '') throw new SlotswapError('bad_request', `smokeTimeoutMs was given without a smoke command; add --smoke "<command>" or drop --smoke-timeout-ms`);
    return null;
  }
  if (command.trim() === '' || command.length > MAX_SMOKE_COMMAND_CHARS) {
    throw new SlotswapError('bad_request', `smoke: expected a shell command of 1 to ${MAX_SMOKE_COMMAND_CHARS} characters, got ${describeValue(command.slice(0, 80))}`);
  }
  let ms = DEFAULT_SMOKE_TIMEOUT_MS;
  if (timeoutMs !== undefined && timeoutMs !== '') {
    ms = Number(timeoutMs);
    if (!/^\d+$/.test(timeoutMs) || ms < 1 || ms > MAX_SMOKE_TIMEOUT_MS) {
      throw new SlotswapError('bad_request', `smokeTimeoutMs: expected a whole number of milliseconds from 1 to ${MAX_SMOKE_TIMEOUT_MS}, got ${JSON.stringify(timeoutMs.slice(0, 40))}`);
    }
  }
  return { command, timeoutMs: ms };
}

/**
 * The environment of the smoke command: the daemon's, without the admin token, plus where the new slot answers and
 * the maintenance bypass value (a deploy during maintenance is checked through it: X-Slotswap-Bypass).
 */
function smokeEnv(previewUrl: string, slot: SlotName, version: string, bypass: string | null): NodeJS.ProcessEnv {
  const { SLOTSWAP_ADMIN_TOKEN: _token, ...env } = process.env;
  return { ...env, SLOTSWAP_PREVIEW_URL: previewUrl, SLOTSWAP_SLOT: slot, SLOTSWAP_VERSION: version, ...(bypass ? { SLOTSWAP_MAINTENANCE_BYPASS: bypass } : {}) };
}

/** Runs `command` with /bin/sh in its own process group; the group is killed on timeout, and whatever it left behind once it exits. */
export function runSmokeCommand(command: string, options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number }): Promise<SmokeResult> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const tail: string[] = [];
    let partial = '';
    const keep = (line: string) => {
      tail.push(line.length > TAIL_LINE_MAX_CHARS ? `${line.slice(0, TAIL_LINE_MAX_CHARS)}…` : line);
      if (tail.length > SMOKE_OUTPUT_TAIL_LINES) tail.shift();
    };
    const onData = (chunk: Buffer) => {
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      // A runaway line without a newline is cut here, so `partial` stays bounded.
      if (partial.length > TAIL_LINE_MAX_CHARS) {
        keep(partial);
        partial = '';
      }
      for (const line of lines) keep(line.replace(/\r$/, ''));
    };
    const child = spawn('/bin/sh', ['-c', command], { cwd: options.cwd, env: options.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
    }, options.timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new SlotswapError('operation_failed', `smoke command ${JSON.stringify(command)} could not be started (${err.message}); check that /bin/sh exists and the release folder ${options.cwd} is readable`));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      // The check is over: anything it started in the background goes with it.
      if (child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
      const finish = () => {
        if (partial !== '') keep(partial);
        resolve({ code, signal, timedOut, ms: performance.now() - started, tail });
      };
      const grace = setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        finish();
      }, PIPE_CLOSE_GRACE_MS);
      child.once('close', () => {
        clearTimeout(grace);
        finish();
      });
    });
  });
}

/** Why a finished smoke command failed the deploy, naming the command, its exit and the timeout; null when it passed. */
export function smokeFailure(command: string, result: SmokeResult, timeoutMs: number, previewUrl: string): SlotswapError | null {
  if (!result.timedOut && result.code === 0) return null;
  const how = result.timedOut
    ? `did not finish within ${timeoutMs} ms (--smoke-timeout-ms) and was killed with its process group`
    : result.code !== null
      ? `exited with code ${result.code} after ${Math.round(result.ms)} ms`
      : `was ended by ${result.signal ?? 'a signal'} after ${Math.round(result.ms)} ms`;
  const output = result.tail.length > 0 ? '; its last output lines follow' : '; it printed nothing';
  return new SlotswapError(
    'operation_failed',
    `smoke check failed: command ${JSON.stringify(command)} ${how} (SLOTSWAP_PREVIEW_URL=${previewUrl})${output}; nothing was flipped: fix the release or the check, then deploy again`,
    { logTail: result.tail.map((line) => `[smoke] ${line}`), smoke: { command, exitCode: result.code, signal: result.signal, timedOut: result.timedOut, ms: Math.round(result.ms) } },
  );
}

/** The step between health and persist; the slot is "ready", so its preview address answers and nothing else reaches it. */
export function smokeStep<C extends SmokeContext>(orch: Orchestrator): Step<C> {
  return {
    name: 'smoke',
    run: async (ctx) => {
      const smoke = ctx.smoke!;
      const previewUrl = slotUrl(orch.config, ctx.to);
      const version = orch.store.data.slots[ctx.to].release?.version ?? '';
      const cwd = orch.config.slots[ctx.to].dir;
      const result = await runSmokeCommand(smoke.command, { cwd, env: smokeEnv(previewUrl, ctx.to, version, orch.proxy?.maintenanceBypass ?? null), timeoutMs: smoke.timeoutMs });
      const failure = smokeFailure(smoke.command, result, smoke.timeoutMs, previewUrl);
      if (failure) throw failure;
      return `${JSON.stringify(smoke.command)} passed in ${Math.round(result.ms)} ms against ${previewUrl}`;
    },
  };
}
