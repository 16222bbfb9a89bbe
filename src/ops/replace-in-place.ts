// In-place replacement under a hold (hotswap and deploy --in-place), read as its runbook:
// hold -> finish -> stop -> swap (journaled) -> start -> health -> commit -> release. On a failure the runner undoes
// in reverse: the new instances stop, the old files come back, the old instances start, the hold is released.
import { performance } from 'node:perf_hooks';
import { SlotswapError } from '../errors.js';
import type { SlotName } from '../config/config-types.js';
import type { Journal, ReleaseInfo } from '../state/state-types.js';
import type { Orchestrator } from './orchestrator.js';
import type { OperationPlan, Step } from './operation-runner.js';
import { buildManifest } from './manifest.js';
import { writeManifestCopy } from './flip.js';
import { waitIdle } from '../proxy/upstream.js';

export interface ReplaceContext {
  slot: SlotName;
  previous: ReleaseInfo;
  /** Set by the swap: the release to start. */
  next: ReleaseInfo | null;
  /** Set once healthy: the release as its health answer describes it. */
  final: ReleaseInfo | null;
  heldMs: number;
  queued: number;
  startupMs: number;
  /** Where the rejected files were kept, when the swap was undone. */
  rejected: string | null;
}

export interface Replacement<C extends ReplaceContext> {
  /** Why requests are held; also the hold's name in status. */
  reason: string;
  /** What start-up needs to undo the swap after a crash, written before the swap's first rename. */
  journal: (ctx: C) => Journal;
  /** Puts the new files in place; returns the release to start. */
  swap: (ctx: C) => Promise<ReleaseInfo>;
  /** Puts the old files back (it may find the swap half done), keeping the rejected ones; returns where they are. */
  unswap: (ctx: C) => Promise<string | null>;
  /** Once the new release is recorded: let go of the old files (keep them as the backup, or remove them). */
  settle: (ctx: C) => Promise<void>;
  /** The release as its health answer describes it (a hotswap exe reports its own version). */
  refine?: (release: ReleaseInfo, healthBody: string) => ReleaseInfo;
  /** In-place deploys remember the release they replaced, for rollback. */
  remembersReplaced: boolean;
}

export function replacementSteps<C extends ReplaceContext>(orch: Orchestrator, r: Replacement<C>): Step<C>[] {
  const proxy = orch.requireProxy();
  let heldFrom = 0;
  let queuedBefore = 0;
  let held = false;
  let started = 0;
  const release = (): number => {
    if (!held) return 0;
    held = false;
    proxy.release(r.reason);
    return Math.round(performance.now() - heldFrom);
  };
  const restartOld = async (ctx: C): Promise<string> => {
    await orch.runtime.spawn(ctx.slot, ctx.previous);
    await orch.runtime.awaitHealthy(ctx.slot, ctx.previous, true);
    return `${ctx.previous.version} serving again`;
  };
  return [
    {
      name: 'hold',
      run: () => {
        queuedBefore = proxy.holdStats().queuedTotal;
        heldFrom = performance.now();
        proxy.hold(r.reason);
        held = true;
        return 'new requests wait';
      },
      undo: {
        name: 'release',
        run: (ctx) => {
          ctx.heldMs = release();
          ctx.queued = proxy.holdStats().queuedTotal - queuedBefore;
          return `held ${ctx.heldMs} ms`;
        },
      },
    },
    {
      name: 'finish',
      run: async (ctx) => {
        await waitIdle(orch.runtime.upstreams(ctx.slot), orch.config.hold.timeoutMs);
        return 'in-flight requests finished';
      },
    },
    {
      name: 'stop',
      run: async (ctx) => {
        await orch.runtime.stop(ctx.slot);
        return 'old instances stopped';
      },
      undo: { name: 'restart old', run: restartOld },
    },
    {
      name: 'swap',
      journal: r.journal,
      run: async (ctx) => {
        ctx.next = await r.swap(ctx);
        // An executable tells its version only in its health answer: the swap cannot name it yet.
        return r.refine ? `new ${ctx.next.name} executable in place; it reports its version once healthy` : `${ctx.next.name} ${ctx.next.version} in place`;
      },
      undo: {
        name: 'restore',
        run: async (ctx) => {
          ctx.rejected = await r.unswap(ctx);
          await orch.store.clearJournal();
          return ctx.rejected ? `old version back; rejected files kept at ${ctx.rejected}` : 'old version back';
        },
      },
    },
    {
      name: 'start',
      run: async (ctx) => {
        started = performance.now();
        const pids = await orch.runtime.spawn(ctx.slot, ctx.next!);
        return `${pids.length} instance(s): pid ${pids.join(', ')}`;
      },
      undo: {
        name: 'stop new',
        run: async (ctx) => {
          await orch.runtime.stop(ctx.slot);
          return 'new instances stopped';
        },
      },
    },
    {
      name: 'health',
      run: async (ctx) => {
        const bodies = await orch.runtime.awaitHealthy(ctx.slot, ctx.next!, true);
        ctx.startupMs = Math.round(performance.now() - started);
        ctx.final = r.refine ? r.refine(ctx.next!, bodies[0] ?? '') : ctx.next;
        const healthy = `${orch.runtime.upstreams(ctx.slot).length} instance(s) healthy`;
        return r.refine ? `${healthy}, reporting ${ctx.final!.version}` : healthy;
      },
    },
    {
      name: 'commit',
      run: async (ctx) => {
        const final = ctx.final!;
        const live = orch.store.data.live === ctx.slot;
        const manifest = live ? buildManifest(orch.config, ctx.slot, final, orch.store.data.notice) : null;
        // One write: the new release, the manifest and the end of the journal; a crash before it undoes the swap.
        await orch.store.replaceRelease(ctx.slot, final, manifest, r.remembersReplaced ? ctx.previous : undefined);
        const snapshot = orch.publish(`slot ${ctx.slot} replaced in place with ${final.version}`);
        if (live) await writeManifestCopy(orch, snapshot.manifest?.body);
        await r.settle(ctx);
        return `${final.version} recorded in slot ${ctx.slot}`;
      },
    },
    {
      name: 'release',
      run: (ctx) => {
        ctx.heldMs = release();
        ctx.queued = proxy.holdStats().queuedTotal - queuedBefore;
        return `held ${ctx.heldMs} ms`;
      },
    },
  ];
}

/** The message of an undone replacement: what failed, and that the old version serves again. */
export function replacementFailure<C extends ReplaceContext>(error: SlotswapError, ctx: C, undone: boolean): SlotswapError {
  const facts = { ...error.details, rolledBack: undone, rejectedFile: ctx.rejected, heldMs: ctx.heldMs, queued: ctx.queued };
  const tail = undone ? `the previous version ${ctx.previous.version} is back and serving` : `putting the previous version ${ctx.previous.version} back failed too (see the history); run slotswap rollback or restart the daemon`;
  return new SlotswapError('operation_failed', `${error.message}; ${tail}`, facts, { cause: error });
}

/** Plan fields every in-place replacement shares. */
export function replacementPlan<C extends ReplaceContext>(orch: Orchestrator, r: Replacement<C>, base: Omit<OperationPlan<C>, 'steps' | 'failure'>): OperationPlan<C> {
  return { ...base, steps: replacementSteps(orch, r), failure: replacementFailure, toVersion: (ctx) => (ctx.final ?? ctx.next)?.version ?? null };
}
