import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load-config.js';
import { SlotswapError } from '../../src/errors.js';
import { Orchestrator } from '../../src/ops/orchestrator.js';
import type { Step } from '../../src/ops/operation-runner.js';
import { Supervisor } from '../../src/slots/supervisor.js';
import { StateStore } from '../../src/state/state-store.js';

/** A real orchestrator on a real state file in a temp folder; no process is started by these plans. */
async function orchestrator(): Promise<Orchestrator> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'slotswap-runner-'));
  await mkdir(path.join(dir, 'sites/sample-api'), { recursive: true });
  await writeFile(path.join(dir, 'sites/sample-api/release.json'), '{}');
  const config = await validateConfig({}, path.join(dir, 'orchestrator.config.json'));
  const store = await StateStore.open(config.stateFile);
  return new Orchestrator(config, store, new Supervisor(config));
}

interface Trace {
  calls: string[];
}

/** A step that records its run and its undo in the trace, and fails when told to. */
function step(name: string, options: { fails?: boolean; undoFails?: boolean; noUndo?: boolean } = {}): Step<Trace> {
  return {
    name,
    run: (ctx) => {
      ctx.calls.push(name);
      if (options.fails) throw new SlotswapError('operation_failed', `${name} broke`);
      return `${name} done`;
    },
    ...(options.noUndo
      ? {}
      : {
          undo: {
            name: `undo ${name}`,
            run: (ctx: Trace) => {
              ctx.calls.push(`undo ${name}`);
              if (options.undoFails) throw new Error(`undo ${name} broke`);
            },
          },
        }),
  };
}

const plan = (ctx: Trace, steps: Step<Trace>[], extra: Record<string, unknown> = {}) => ({ op: 'test', actor: 'unit', slot: null, fromVersion: null, context: ctx, steps, ...extra });

describe('the operation runner', () => {
  it('runs the steps in order, records each in the history entry, and ends it ok once the after-steps are done', async () => {
    const orch = await orchestrator();
    const ctx: Trace = { calls: [] };
    const outcome = await orch.runner.run(plan(ctx, [step('one'), step('two')], { after: [step('three', { noUndo: true })] }));
    await outcome.done;
    expect(ctx.calls).toEqual(['one', 'two', 'three']);
    const entry = orch.store.data.history.at(-1)!;
    expect(entry).toMatchObject({ op: 'test', outcome: 'ok' });
    expect(entry.steps.map((s) => `${s.name}:${s.ok}:${s.detail}`)).toEqual(['one:true:one done', 'two:true:two done', 'three:true:three done']);
    expect(orch.store.data.pending).toBeNull();
  });

  it('undoes the steps that ran, newest first, the failed one included, and ends the entry failed with the cause kept', async () => {
    const orch = await orchestrator();
    const ctx: Trace = { calls: [] };
    const failure = await orch.runner.run(plan(ctx, [step('hold'), step('stop'), step('nothing to undo', { noUndo: true }), step('swap', { fails: true }), step('never')])).catch((err: unknown) => err);
    expect(ctx.calls).toEqual(['hold', 'stop', 'nothing to undo', 'swap', 'undo swap', 'undo stop', 'undo hold']);
    expect(failure).toBeInstanceOf(SlotswapError);
    expect((failure as SlotswapError).message).toBe('swap broke');
    const entry = orch.store.data.history.at(-1)!;
    expect(entry).toMatchObject({ outcome: 'failed', error: 'swap broke' });
    expect(entry.steps.map((s) => `${s.name}:${s.ok}`)).toEqual(['hold:true', 'stop:true', 'nothing to undo:true', 'swap:false', 'undo swap:true', 'undo stop:true', 'undo hold:true']);
    expect(orch.lock.current).toBeNull();
  });

  it('goes on undoing when an undo fails, and tells the failure shaper that the undo was not clean', async () => {
    const orch = await orchestrator();
    const ctx: Trace = { calls: [] };
    let told: boolean | null = null;
    const failure = (error: SlotswapError, _ctx: Trace, undone: boolean) => {
      told = undone;
      return new SlotswapError('operation_failed', `${error.message}; shaped`, undefined, { cause: error });
    };
    const err = (await orch.runner.run(plan(ctx, [step('one'), step('two', { undoFails: true }), step('three', { fails: true })], { failure })).catch((e: unknown) => e)) as SlotswapError;
    expect(ctx.calls).toEqual(['one', 'two', 'three', 'undo three', 'undo two', 'undo one']);
    expect(told).toBe(false);
    expect(err.message).toBe('three broke; shaped');
    expect((err.cause as SlotswapError).message).toBe('three broke');
  });

  it('leaves no history entry when a check refuses, since nothing was changed', async () => {
    const orch = await orchestrator();
    const before = orch.store.data.history.length;
    const ctx: Trace = { calls: [] };
    await expect(orch.runner.run(plan(ctx, [step('one')], { checks: [step('check', { fails: true, noUndo: true })] }))).rejects.toThrow('check broke');
    expect(ctx.calls).toEqual(['check']);
    expect(orch.store.data.history.length).toBe(before);
  });

  it('refuses a second operation while one holds the lock, and lets go of it before the after-steps run', async () => {
    const orch = await orchestrator();
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slow: Step<Trace> = { name: 'slow', run: () => gate };
    const first = orch.runner.run(plan({ calls: [] }, [slow]));
    await expect(orch.runner.run(plan({ calls: [] }, [step('other')]))).rejects.toMatchObject({ code: 'conflict' });
    release();
    let afterRunning: () => void = () => {};
    const inAfter = new Promise<void>((resolve) => (afterRunning = resolve));
    let finishAfter: () => void = () => {};
    const afterGate = new Promise<void>((resolve) => (finishAfter = resolve));
    await first;
    const withAfter = await orch.runner.run(plan({ calls: [] }, [step('quick')], { after: [{ name: 'drain', run: () => (afterRunning(), afterGate) }] }));
    await inAfter;
    expect(orch.lock.current).toBeNull();
    await (await orch.runner.run(plan({ calls: [] }, [step('meanwhile')]))).done;
    finishAfter();
    await withAfter.done;
  });

  it('journals a step in the state file before the step runs, for start-up to undo after a crash', async () => {
    const orch = await orchestrator();
    let seen: unknown = null;
    const journaled: Step<Trace> = {
      name: 'swap',
      journal: () => ({ kind: 'replace-exe', slot: 'a', exeFile: '/x/server', keptAs: '/x/server.live', updateFile: '/x/update', previousSha256: 'f'.repeat(64) }),
      run: () => {
        seen = orch.store.data.pending?.journal;
      },
    };
    await orch.runner.run(plan({ calls: [] }, [journaled]));
    expect(seen).toMatchObject({ kind: 'replace-exe', keptAs: '/x/server.live' });
  });
});
