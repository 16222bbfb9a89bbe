// The flip: persist the new live slot and manifest, then swap the proxy's snapshot in one assignment.
// Also the manual flip (and rollback within the drain): make the other, still running slot live again.
import { performance } from 'node:perf_hooks';
import { SlotswapError } from '../errors.js';
import { otherSlot, type SlotName } from '../config/config-types.js';
import type { Orchestrator } from './orchestrator.js';
import type { Step } from './operation-runner.js';
import { buildManifest, writeManifestFile } from './manifest.js';
import { cancelDrain, drainSteps } from './drain.js';

export interface FlipContext {
  to: SlotName;
  from: SlotName | null;
  /** Time of the switch itself (snapshot built and assigned), in milliseconds. */
  switchMs: number;
}

export interface SwitchResult {
  id: string;
  from: SlotName | null;
  to: SlotName;
  switchMs: number;
  version: string | null;
  fromVersion: string | null;
  steps: { name: string; ms: number; ok: boolean; detail?: string }[];
}

/** The derived AppRun.json copy is rewritten at every start: failing to write it never undoes a flip. */
export async function writeManifestCopy(orch: Orchestrator, body: Buffer | undefined): Promise<void> {
  if (!body) return;
  try {
    await writeManifestFile(orch.config, body);
  } catch (err) {
    console.error(`slotswap: the flip is done, but the copy of the manifest could not be written (${(err as Error).message}); clients reading the proxy's ${orch.config.clients.manifestPath} are not affected`);
  }
}

/**
 * Step "persist" records the new live slot and manifest (a crash right after leaves a state naming the slot that is
 * really live); step "flip" is the switch itself, one snapshot assignment. Past the persist there is no undo.
 */
export function flipSteps<C extends FlipContext>(orch: Orchestrator): Step<C>[] {
  return [
    {
      name: 'persist',
      run: async (ctx) => {
        const data = orch.store.data;
        const release = data.slots[ctx.to].release;
        if (!release) throw new SlotswapError('conflict', `slot ${ctx.to} has no release to make live`);
        ctx.from = data.live && data.live !== ctx.to ? data.live : null;
        await orch.store.flip(ctx.to, buildManifest(orch.config, ctx.to, release, data.notice));
        return `slot ${ctx.to} recorded as live`;
      },
    },
    {
      name: 'flip',
      run: async (ctx) => {
        const started = performance.now();
        const snapshot = orch.publish(`flip to slot ${ctx.to}`);
        ctx.switchMs = performance.now() - started;
        await writeManifestCopy(orch, snapshot.manifest?.body);
        return `slot ${ctx.to} live (switch ${ctx.switchMs.toFixed(3)} ms)`;
      },
    },
  ];
}

/** A slot can be flipped to only while it still runs healthy instances (ready, or draining after a deploy). */
function requireRunning(orch: Orchestrator, to: SlotName): string {
  const state = orch.store.data.slots[to].state;
  const ups = orch.runtime.upstreams(to);
  if ((state !== 'draining' && state !== 'ready') || ups.length === 0 || ups.some((up) => !up.healthy)) {
    throw new SlotswapError('conflict', `slot ${to} is ${state} and cannot take traffic; only a running, healthy slot can be flipped to (deploy instead, or rollback)`, { slot: to, state });
  }
  return `slot ${to} is ${state} with ${ups.length} healthy instance(s)`;
}

/**
 * Makes the other slot live while it still runs (manual flip, rollback within the drain): its drain is cancelled,
 * the flip recorded under `op`, and the slot that was live drains in turn.
 */
export async function flipToRunningSlot(orch: Orchestrator, op: 'flip' | 'rollback', actor: string): Promise<SwitchResult> {
  const live = orch.store.data.live;
  if (!live) throw new SlotswapError('conflict', 'no slot is live yet; deploy a release first');
  const to = otherSlot(live);
  const ctx: FlipContext = { to, from: live, switchMs: 0 };
  const fromVersion = orch.liveVersion();
  const outcome = await orch.runner.run({
    op,
    actor,
    slot: to,
    fromVersion,
    context: ctx,
    checks: [{ name: 'check', run: () => requireRunning(orch, to) }],
    steps: [
      {
        name: 'keep',
        run: async () => {
          await cancelDrain(orch, to);
          return `slot ${to} keeps running`;
        },
      },
      ...flipSteps<FlipContext>(orch),
    ],
    after: drainSteps(orch, live),
    toVersion: () => orch.store.data.slots[to].release?.version ?? null,
  });
  return { id: outcome.id, from: live, to, switchMs: ctx.switchMs, version: outcome.entry.toVersion, fromVersion, steps: outcome.entry.steps };
}

/** Manual flip: makes the other slot live if it still runs and is healthy; the old live slot drains. */
export function flipOperation(orch: Orchestrator, actor: string): Promise<SwitchResult> {
  return flipToRunningSlot(orch, 'flip', actor);
}
