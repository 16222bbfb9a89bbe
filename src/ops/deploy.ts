// The blue/green deploy, read as the runbook (DESIGN 1.5): check -> place -> start -> health -> (smoke) -> persist -> flip,
// then drain -> stop once the lock is let go. A failure before the persist undoes what ran; the live slot is untouched.
import { rm } from 'node:fs/promises';
import { SlotswapError } from '../errors.js';
import { otherSlot, type SlotName } from '../config/config-types.js';
import { isIdle } from '../state/slot-states.js';
import type { CanaryRecord, ReleaseInfo } from '../state/state-types.js';
import type { Orchestrator } from './orchestrator.js';
import type { Step } from './operation-runner.js';
import { commitRelease, unpackRelease, type UnpackedRelease } from './place-release.js';
import { flipSteps, type FlipContext } from './flip.js';
import { checkRelease } from '../release/release-check.js';
import type { ClientFiles } from '../release/client-files.js';
import { checkClientFiles, placeClientFiles, pruneClientFiles } from './client-files-step.js';
import { smokeStep, type SmokeContext, type SmokeOptions } from './smoke-step.js';
import { canaryStep, isProgressiveCanary, NO_PROGRESSIVE, type ProgressiveOptions } from './canary.js';
import { watchedDrainSteps, watchEnding, type WatchContext } from './analysis-watch.js';

export interface DeployRequest {
  archive: string;
  sha256: string;
  version: string | null;
  minCompatibleVersion: string | null;
  allowDowngrade: boolean;
  actor: string;
  /** How the history names it: "deploy", or "rollback" when a rollback redeploys an earlier release. */
  op?: string;
  /** --smoke: a command run against the new slot's preview address before the flip (absent: no smoke step). */
  smoke?: SmokeOptions | null;
  /** A canary instead of the flip, and/or a watch after it (absent: the plain flip, then the drain). */
  progressive?: ProgressiveOptions | null;
}

export interface DeployResult {
  id: string;
  slot: SlotName;
  version: string;
  minCompatibleVersion: string;
  previous: { slot: SlotName; version: string | null } | null;
  switchMs: number;
  /** In-place deploys only: how long requests were held and how many waited. */
  heldMs?: number;
  queued?: number;
  /** Resolves when the old slot has drained and stopped (at once when there was none). */
  drained: Promise<void>;
  /** The canary the deploy started instead of the flip (null: it flipped). */
  canary?: CanaryRecord | null;
}

export interface DeployContext extends FlipContext, SmokeContext, WatchContext {
  /** The history entry's id, known once the runner began. */
  id: string;
  request: DeployRequest;
  fromVersion: string | null;
  unpacked: UnpackedRelease | null;
  release: ReleaseInfo | null;
  /** The incoming folder became the slot's folder. */
  placed: boolean;
  /** The release's client files, read at the check step (null: it has none). */
  client: ClientFiles | null;
}

/** The idle slot a deploy lands on; a slot still draining or starting is no idle slot. */
function idleSlot(orch: Orchestrator): SlotName {
  const data = orch.store.data;
  const slot = data.live ? otherSlot(data.live) : 'a';
  const state = data.slots[slot].state;
  if (data.canary && data.canary.slot === slot && state === 'ready') {
    throw new SlotswapError('conflict', `a canary runs on slot ${slot}; promote it (slotswap promote) or abort it (slotswap abort) before the next deploy`, { slot, state });
  }
  if (!isIdle(state)) {
    const hint = state === 'draining' ? 'wait for it to stop (slotswap deploy --wait-drain, or slotswap drain --now)' : 'wait for it to finish';
    throw new SlotswapError('conflict', `slot ${slot} is still ${state}, so there is no idle slot to deploy to; ${hint}`, { slot, state });
  }
  return slot;
}

export function deploySteps(orch: Orchestrator, smoke: boolean, progressive: ProgressiveOptions | null): { checks: Step<DeployContext>[]; steps: Step<DeployContext>[] } {
  const checks: Step<DeployContext>[] = [
    {
      name: 'check',
      run: async (ctx) => {
        if (isProgressiveCanary(progressive) && !ctx.from) throw new SlotswapError('conflict', 'a canary needs a live slot to compare with; deploy without --canary first');
        if (progressive?.watchMs != null && !ctx.from) throw new SlotswapError('conflict', '--watch needs a live slot to roll back to; deploy without --watch first');
        ctx.to = idleSlot(orch);
        ctx.unpacked = await unpackRelease(orch.config, ctx.to, { ...ctx.request, liveVersion: ctx.fromVersion });
        const line = await checkRelease({
          dir: ctx.unpacked.incoming,
          release: ctx.unpacked.release,
          slot: ctx.to,
          liveSlot: ctx.from,
          app: orch.config.app,
          given: ctx.request.minCompatibleVersion,
          liveMinCompatibleVersion: ctx.from ? (orch.store.data.slots[ctx.from].release?.minCompatibleVersion ?? null) : null,
          upgradeStatus: orch.config.clients.upgradeStatus,
          bootstrap: ctx.request.actor === 'bootstrap' ? orch.config.bootstrap : null,
          rollback: ctx.request.op === 'rollback',
        });
        const files = await checkClientFiles(orch, ctx.unpacked.incoming, ctx.fromVersion);
        ctx.client = files.client;
        return `${line}${files.detail}`;
      },
      undo: {
        name: 'clean up',
        // Once placed, the incoming folder is the slot's: nothing is left to clean.
        applies: (c) => c.unpacked !== null && !c.placed,
        run: async (ctx) => {
          if (ctx.unpacked) await rm(ctx.unpacked.incoming, { recursive: true, force: true });
        },
      },
    },
  ];
  const steps: Step<DeployContext>[] = [
    {
      name: 'place',
      run: async (ctx) => {
        const release = await commitRelease(orch.config, ctx.to, ctx.unpacked!, { ...ctx.request, liveVersion: ctx.fromVersion }, orch.store.data.liveReleases ?? []);
        ctx.release = release;
        ctx.placed = true;
        await placeClientFiles(orch, orch.config.slots[ctx.to].dir, release, ctx.client);
        await orch.store.assignRelease(ctx.to, release);
        await pruneClientFiles(orch);
        orch.publish(`slot ${ctx.to} starting ${release.version}`);
        return `${release.name} ${release.version} in slot ${ctx.to}`;
      },
      undo: {
        name: 'mark failed',
        run: async (ctx) => {
          const state = orch.store.data.slots[ctx.to].state;
          if (state === 'starting' || state === 'stopping') await orch.store.setSlotState(ctx.to, 'failed');
          else if (state === 'ready') {
            await orch.store.setSlotState(ctx.to, 'stopping');
            await orch.store.setSlotState(ctx.to, 'stopped');
          }
          orch.publish(`deploy to slot ${ctx.to} failed`);
          return `slot ${ctx.to} ${orch.store.data.slots[ctx.to].state}; the live slot was not touched`;
        },
      },
    },
    {
      name: 'start',
      run: async (ctx) => {
        const pids = await orch.runtime.spawn(ctx.to, ctx.release!);
        return `${pids.length} instance(s): pid ${pids.join(', ')}`;
      },
      undo: {
        name: 'stop new',
        run: async (ctx) => {
          await orch.runtime.stop(ctx.to);
          return `slot ${ctx.to} instances stopped`;
        },
      },
    },
    {
      name: 'health',
      run: async (ctx) => {
        await orch.runtime.awaitHealthy(ctx.to, ctx.release!);
        await orch.store.setSlotState(ctx.to, 'ready');
        // The proxy sees the slot as ready: its preview address (/_slots/<slot>/) answers from now on.
        orch.publish(`slot ${ctx.to} ready`);
        return `${orch.runtime.upstreams(ctx.to).length} instance(s) healthy`;
      },
    },
    ...(smoke ? [smokeStep<DeployContext>(orch)] : []),
    // A canary instead of the flip: the live slot stays live until the promotion.
    ...(isProgressiveCanary(progressive) ? [canaryStep<DeployContext>(orch, progressive!, () => '')] : flipSteps<DeployContext>(orch)),
  ];
  return { checks, steps };
}

/** Runs a deploy through the operation runner; resolves once flipped (the drain goes on in `drained`). */
export async function deploy(orch: Orchestrator, request: DeployRequest, onEntry?: (id: string) => void): Promise<DeployResult> {
  const from = orch.store.data.live;
  const fromVersion = orch.liveVersion();
  const progressive = request.progressive ?? null;
  const { checks, steps } = deploySteps(orch, Boolean(request.smoke), progressive);
  const ctx: DeployContext = { id: '', request, fromVersion, unpacked: null, release: null, placed: false, client: null, to: from ? otherSlot(from) : 'a', from, switchMs: 0, smoke: request.smoke ?? null, verdict: null };
  const canary = isProgressiveCanary(progressive);
  // The canary step names the rollout by this deploy's history id.
  if (canary) steps[steps.length - 1] = canaryStep<DeployContext>(orch, progressive!, () => ctx.id);
  const analysis = (progressive ?? NO_PROGRESSIVE).analysis;
  const outcome = await orch.runner.run(
    {
      op: request.op ?? 'deploy',
      actor: request.actor,
      slot: ctx.to,
      fromVersion,
      context: ctx,
      checks,
      steps,
      after: canary || !from ? [] : watchedDrainSteps<DeployContext>(orch, from, ctx.to, progressive?.watchMs ?? null, analysis, () => ctx.id),
      toVersion: (c) => c.release?.version ?? c.unpacked?.release.version ?? null,
      ending: watchEnding,
    },
    (id) => {
      ctx.id = id;
      onEntry?.(id);
    },
  );
  const release = ctx.release!;
  return {
    id: outcome.id,
    slot: ctx.to,
    version: release.version,
    minCompatibleVersion: release.minCompatibleVersion,
    previous: from ? { slot: from, version: fromVersion } : null,
    switchMs: ctx.switchMs,
    drained: outcome.done,
    canary: canary ? (orch.store.data.canary ?? null) : null,
  };
}
