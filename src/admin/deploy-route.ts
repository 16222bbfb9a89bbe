// POST /api/deploy: every option checked, the .tgz body received and verified (size, sha256), and only then the lock and the deploy's steps as NDJSON lines.
import { unlink } from 'node:fs/promises';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import { SlotswapError, toSlotswapError } from '../errors.js';
import { parseSha256 } from '../release/receive-upload.js';
import { checkVersionGate, parseVersionOption } from '../release/version-gate.js';
import type { Orchestrator } from '../ops/orchestrator.js';
import { deploy } from '../ops/deploy.js';
import { deployInPlace } from '../ops/deploy-in-place.js';
import type { SlotswapEvent } from '../ops/operation-events.js';
import { otherSlot } from '../config/config-types.js';
import { drainStatus } from '../ops/drain.js';
import type { InstanceHealthProgress } from '../slots/supervisor.js';
import { NdjsonWriter } from './ndjson-writer.js';
import { checkDeclaredSize, flag, option } from './request-options.js';
import { receiveRequestUpload } from './upload-request.js';
import { parseSmokeOptions, type SmokeOptions } from '../ops/smoke-step.js';
import { progressiveOptions } from './progressive-options.js';
import type { ProgressiveOptions } from '../ops/canary.js';
import { rolloutEnd } from '../ops/canary-rollouts.js';

interface DeployOptions {
  sha256: string | null;
  version: string | null;
  minCompatibleVersion: string | null;
  allowDowngrade: boolean;
  waitDrain: boolean;
  inPlace: boolean;
  smoke: SmokeOptions | null;
  progressive: ProgressiveOptions | null;
  /** With a canary or a watch: answer only once the rollout is decided (promoted, aborted, rolled back). */
  wait: boolean;
}

/** Everything that can be checked without the live version: a bad input is exit 2 even while another operation runs. */
function deployOptions(orch: Orchestrator, req: Request): DeployOptions {
  checkDeclaredSize(req, orch.config.uploads.maxBytes);
  const options: DeployOptions = {
    sha256: parseSha256(option(req, 'sha256')),
    version: parseVersionOption(option(req, 'version'), 'version'),
    minCompatibleVersion: parseVersionOption(option(req, 'minCompatible'), 'minCompatibleVersion'),
    allowDowngrade: flag(req, 'allowDowngrade'),
    waitDrain: flag(req, 'waitDrain'),
    inPlace: flag(req, 'inPlace'),
    smoke: parseSmokeOptions(option(req, 'smoke'), option(req, 'smokeTimeoutMs')),
    progressive: progressiveOptions(req),
    wait: flag(req, 'wait'),
  };
  if (options.smoke && options.inPlace) {
    throw new SlotswapError('bad_request', 'smoke checks need a blue/green deploy (the new slot is checked before it takes traffic); drop --in-place or --smoke');
  }
  if (options.inPlace && options.progressive) throw new SlotswapError('bad_request', '--in-place replaces the live slot: there is no other slot for a canary or a watch; drop --in-place');
  if (options.wait && !options.progressive) throw new SlotswapError('bad_request', '--wait waits for a canary or a watch to be decided: add --canary <percent> or --watch <ms>');
  // The gate against the live version stays in the place step; minCompatible <= version can be checked now.
  if (options.version !== null && options.minCompatibleVersion !== null) {
    checkVersionGate({ version: options.version, minCompatibleVersion: options.minCompatibleVersion, liveVersion: null, allowDowngrade: true });
  }
  if (orch.config.mode === 'hotswap') {
    throw new SlotswapError('bad_request', `this daemon runs in "mode": "hotswap"; update its executable with slotswap hotswap <file> instead of deploy`);
  }
  return options;
}

/** One progress line for all instances: "b-1: 7 attempts, last: connect ECONNREFUSED 127.0.0.1:9001". */
function describeHealth(progress: readonly InstanceHealthProgress[]): string {
  return progress.map((p) => `${p.label}: ${p.attempts} attempt${p.attempts === 1 ? '' : 's'}, last: ${p.last}`).join('; ');
}

/** With --wait-drain: if the idle slot still drains, say so in one line and wait until it has stopped. */
async function waitForIdleSlotDrain(orch: Orchestrator, out: NdjsonWriter): Promise<void> {
  const live = orch.store.data.live;
  const idle = live ? otherSlot(live) : null;
  const progress = idle ? orch.drains.get(idle) : undefined;
  if (!idle || !progress) return;
  const drain = drainStatus(orch, idle);
  const when = drain ? `: it stops once idle, in ${Math.ceil(drain.earliestStopInMs / 1000)} s at the earliest, ${Math.ceil(drain.timeLeftMs / 1000)} s at the latest` : '';
  const message = `waiting for slot ${idle} to finish draining${when} (slotswap drain --now stops it at once)`;
  out.write({ type: 'wait', op: 'deploy', at: new Date().toISOString(), slot: idle, message }, true);
  await progress.done.catch(() => {});
}

export function deployRoute(orch: Orchestrator, actorOf: (req: Request) => string) {
  return async (req: Request, res: Response): Promise<void> => {
    const { sha256, version, minCompatibleVersion, allowDowngrade, waitDrain, inPlace, smoke, progressive, wait } = deployOptions(orch, req);
    const uploads = path.join(path.dirname(orch.config.stateFile), 'uploads');
    const { maxBytes, idleTimeoutMs } = orch.config.uploads;
    // Received before the lock: a slow or stalled client never blocks flips and rollbacks.
    const upload = await receiveRequestUpload(req, res, path.join(uploads, `${randomUUID()}.tgz`), { maxBytes, sha256, idleTimeoutMs });
    const archive = upload.file;
    try {
      const out = new NdjsonWriter(res);
      let runId: string | null = null;
      let running: string | null = null;
      const forward = (event: SlotswapEvent) => {
        if (event.type === 'step' && event.id === runId) {
          running = event.phase === 'begin' ? event.step : null;
          out.write(event, event.phase === 'end');
        } else if (event.type === 'progress' && event.id === runId) out.write(event);
      };
      orch.events.on('event', forward);
      // The lock lets one operation run at a time: a health wait while our health step runs is ours.
      const stopProgress = orch.runtime.onHealthProgress((_slot, progress, ms) => {
        if (runId === null || running !== 'health') return;
        orch.events.publish({ type: 'progress', id: runId, op: 'deploy', step: 'health', at: new Date().toISOString(), ms, detail: describeHealth(progress) });
      });
      try {
        if (waitDrain && !inPlace) await waitForIdleSlotDrain(orch, out);
        const result = await (inPlace ? deployInPlace : deploy)(
          orch,
          { archive, sha256: upload.sha256, version, minCompatibleVersion, allowDowngrade, actor: actorOf(req), smoke, progressive },
          (id) => (runId = id),
        );
        // --wait: the answer waits for the rollout's end; an abort or a rollback is a failed deploy (exit 1).
        const decided = wait ? await rolloutEnd(result.id) : null;
        if (waitDrain) await result.drained;
        const { drained: _drained, ...summary } = result;
        const at = new Date().toISOString();
        if (decided && decided.outcome !== 'promoted') {
          out.end({ ...summary, type: 'result', op: 'deploy', ok: false, at, error: 'operation_failed', message: decided.message, outcome: decided.outcome, analysis: decided.verdict });
          return;
        }
        out.end({ ...summary, type: 'result', op: 'deploy', ok: true, at, bytes: upload.bytes, sha256: upload.sha256, drainedWaited: waitDrain, ...(decided ? { outcome: decided.outcome, message: decided.message } : {}) });
      } catch (err) {
        if (!out.committed) throw err;
        const error = toSlotswapError(err);
        out.end({ type: 'result', id: runId ?? '', op: 'deploy', ok: false, at: new Date().toISOString(), ...error.toJSON() });
      } finally {
        orch.events.off('event', forward);
        stopProgress();
      }
    } finally {
      await unlink(archive).catch(() => {});
    }
  };
}
