import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { parseSmokeOptions, runSmokeCommand, smokeFailure } from '../../src/ops/smoke-step.js';
import { DEFAULT_SMOKE_TIMEOUT_MS, SMOKE_OUTPUT_TAIL_LINES } from '../../src/defaults.js';

describe('smoke options', () => {
  it('takes no smoke check when no command is given', () => {
    expect(parseSmokeOptions(undefined, undefined)).toBeNull();
  });

  it('takes the default timeout when none is given, and a given one in milliseconds', () => {
    expect(parseSmokeOptions('npm test', undefined)).toEqual({ command: 'npm test', timeoutMs: DEFAULT_SMOKE_TIMEOUT_MS });
    expect(parseSmokeOptions('npm test', '2500')).toEqual({ command: 'npm test', timeoutMs: 2500 });
  });

  it('refuses a timeout that is not a whole number of milliseconds, naming what it got', () => {
    expect(() => parseSmokeOptions('true', '1.5')).toThrow(/expected a whole number of milliseconds .* got "1.5"/);
    expect(() => parseSmokeOptions('true', '0')).toThrow(/from 1 to/);
  });

  it('refuses a blank command and a timeout without a command', () => {
    expect(() => parseSmokeOptions('   ', undefined)).toThrow(/expected a shell command/);
    expect(() => parseSmokeOptions(undefined, '100')).toThrow(/without a smoke command/);
  });
});

describe('smoke failure', () => {
  const result = { code: 0, signal: null, timedOut: false, ms: 12, tail: ['ok'] };
  it('is no failure for exit 0', () => {
    expect(smokeFailure('true', result, 1000, 'http://p/_slots/b/')).toBeNull();
  });

  it('names the command, the exit code and the preview address, with the output tail as facts', () => {
    const error = smokeFailure('npm test', { ...result, code: 3, tail: ['1 failing'] }, 1000, 'http://p/_slots/b/')!;
    expect(error.message).toMatch(/command "npm test" exited with code 3 after 12 ms \(SLOTSWAP_PREVIEW_URL=http:\/\/p\/_slots\/b\/\)/);
    expect(error.details?.logTail).toEqual(['[smoke] 1 failing']);
    expect(error.exitCode).toBe(1);
  });

  it('says a timed-out command was killed, with the timeout it ran out of', () => {
    const error = smokeFailure('sleep 9', { ...result, code: null, signal: 'SIGKILL', timedOut: true }, 700, 'u')!;
    expect(error.message).toMatch(/did not finish within 700 ms \(--smoke-timeout-ms\) and was killed with its process group/);
  });
});

describe('running a smoke command', () => {
  it('keeps only the last lines of its stdout and stderr, and its exit code', async () => {
    const lines = SMOKE_OUTPUT_TAIL_LINES + 10;
    const run = await runSmokeCommand(`i=0; while [ $i -lt ${lines} ]; do echo line$i; i=$((i+1)); done; echo oops >&2; exit 4`, { cwd: os.tmpdir(), env: process.env, timeoutMs: 10_000 });
    expect(run.code).toBe(4);
    expect(run.timedOut).toBe(false);
    expect(run.tail).toHaveLength(SMOKE_OUTPUT_TAIL_LINES);
    expect(run.tail.at(-1)).toBe('oops');
    expect(run.tail.at(-2)).toBe(`line${lines - 1}`);
  });

  it('runs in the folder it is given', async () => {
    const run = await runSmokeCommand('pwd', { cwd: os.tmpdir(), env: process.env, timeoutMs: 10_000 });
    expect(run.tail).toEqual([os.tmpdir()]);
  });
});
