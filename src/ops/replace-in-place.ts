// In-place replacement under a hold (hotswap and deploy --in-place), read as its runbook:
// hold -> in-flight finish -> stop -> swap -> start -> health -> release; on failure: restore the old one, release.
import { performance } from 'node:perf_hooks';
import { SlotswapError, toSlotswapError } from '../errors.js';
import type { SlotName } from '../config/config-types.js';
import type { ReleaseInfo } from '../state/state-types.js';
import type { Orchestrator } from './orchestrator.js';
import type { OperationRun } from './operation-run.js';
import { awaitSlotHealthy, spawnSlot, stopInstances } from './slot-lifecycle.js';
import { buildManifest, writeManifestFile } from './manifest.js';
import { waitIdle } from '../proxy/upstream.js';

export interface Replacement {
  slot: SlotName;
  /** Why requests are held; also the hold's name in status. */
  reason: string;
  previous: ReleaseInfo;
  /** Puts the new files in place; returns the release to start. */
  swap: () => Promise<ReleaseInfo>;
  /** Puts the old files back, keeping the rejected ones for inspection; returns where they are. */
  unswap: () => Promise<string>;
  /** The release as its health answer describes it (a hotswap exe reports its own version). */
  refine?: (release: ReleaseInfo, healthBody: string) => ReleaseInfo;
}

export interface ReplacementResult {
  release: ReleaseInfo;
  heldMs: number;
  queued: number;
  /** Spawn to healthy: the new server's own start-up time. */
  startupMs: number;
}

async function startAndCheck(orch: Orchestrator, slot: SlotName, release: ReleaseInfo, run: OperationRun): Promise<{ bodies: string[]; startupMs: number }> {
  const started = performance.now();
  await run.step('start', () => spawnSlot(orch, slot, release), (pids) => `${pids.length} instance(s): pid ${pids.join(', ')}`);
  const bodies = await run.step('health', () => awaitSlotHealthy(orch, slot, release, true), () => `${orch.upstreams[slot].length} instance(s) healthy`);
  return { bodies, startupMs: Math.round(performance.now() - started) };
}

async function publishRelease(orch: Orchestrator, slot: SlotName, release: ReleaseInfo, replaced: ReleaseInfo): Promise<void> {
  const live = orch.store.data.live === slot;
  const manifest = live ? buildManifest(orch.config, slot, release, orch.store.data.notice) : null;
  await orch.store.replaceRelease(slot, release, manifest, replaced);
  const snapshot = orch.publish(`slot ${slot} replaced in place with ${release.version}`);
  if (live && snapshot.manifest) await writeManifestFile(orch.config, snapshot.manifest.body);
}

export async function replaceInPlace(orch: Orchestrator, run: OperationRun, r: Replacement): Promise<ReplacementResult> {
  const proxy = orch.requireProxy();
  const queuedBefore = proxy.holdStats().queuedTotal;
  const heldFrom = performance.now();
  let released = false;
  const release = () => {
    if (released) return 0;
    released = true;
    proxy.release(r.reason);
    return Math.round(performance.now() - heldFrom);
  };
  await run.step('hold', async () => proxy.hold(r.reason), () => 'new requests wait');
  try {
    await run.step(
      'finish',
      async () => {
        await waitIdle(orch.upstreams[r.slot], orch.config.hold.timeoutMs);
      },
      () => 'in-flight requests finished',
    );
    await run.step('stop', () => stopInstances(orch, r.slot), () => 'old instances stopped');
    const next = await run.step('swap', r.swap, (rel) => `${rel.name} ${rel.version} in place`);
    try {
      const { bodies, startupMs } = await startAndCheck(orch, r.slot, next, run);
      const final = r.refine ? r.refine(next, bodies[0] ?? '') : next;
      await publishRelease(orch, r.slot, final, r.previous);
      const heldMs = await run.step('release', async () => release(), (ms) => `held ${ms} ms`);
      return { release: final, heldMs, queued: proxy.holdStats().queuedTotal - queuedBefore, startupMs };
    } catch (err) {
      const failure = toSlotswapError(err);
      await stopInstances(orch, r.slot);
      const kept = await run.step('restore', r.unswap, (where) => `old version back; rejected files kept at ${where}`);
      await startAndCheck(orch, r.slot, r.previous, run);
      orch.publish(`slot ${r.slot} restored to ${r.previous.version}`);
      const heldMs = await run.step('release', async () => release(), (ms) => `held ${ms} ms`);
      throw new SlotswapError('operation_failed', `${failure.message}; the previous version ${r.previous.version} is back and serving`, {
        ...failure.details,
        rolledBack: true,
        rejectedFile: kept,
        heldMs,
        queued: proxy.holdStats().queuedTotal - queuedBefore,
      });
    }
  } finally {
    // Whatever happened, held requests are released: at worst they meet a 502, never silence.
    release();
  }
}
