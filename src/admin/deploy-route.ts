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
import { NdjsonWriter } from './ndjson-writer.js';
import { checkDeclaredSize, flag, option } from './request-options.js';
import { receiveRequestUpload } from './upload-request.js';

interface DeployOptions {
  sha256: string | null;
  version: string | null;
  minCompatibleVersion: string | null;
  allowDowngrade: boolean;
  waitDrain: boolean;
  inPlace: boolean;
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
  };
  // The gate against the live version stays in the place step; minCompatible <= version can be checked now.
  if (options.version !== null && options.minCompatibleVersion !== null) {
    checkVersionGate({ version: options.version, minCompatibleVersion: options.minCompatibleVersion, liveVersion: null, allowDowngrade: true });
  }
  if (orch.config.mode === 'hotswap') {
    throw new SlotswapError('bad_request', `this daemon runs in "mode": "hotswap"; update its executable with slotswap hotswap <file> instead of deploy`);
  }
  return options;
}

export function deployRoute(orch: Orchestrator, actorOf: (req: Request) => string) {
  return async (req: Request, res: Response): Promise<void> => {
    const { sha256, version, minCompatibleVersion, allowDowngrade, waitDrain, inPlace } = deployOptions(orch, req);
    const uploads = path.join(path.dirname(orch.config.stateFile), 'uploads');
    const { maxBytes, idleTimeoutMs } = orch.config.uploads;
    // Received before the lock: a slow or stalled client never blocks flips and rollbacks.
    const upload = await receiveRequestUpload(req, res, path.join(uploads, `${randomUUID()}.tgz`), { maxBytes, sha256, idleTimeoutMs });
    const archive = upload.file;
    try {
      const out = new NdjsonWriter(res);
      let runId: string | null = null;
      const forward = (event: SlotswapEvent) => {
        if (event.type === 'step' && event.id === runId) out.write(event, event.phase === 'end');
      };
      orch.events.on('event', forward);
      try {
        const result = await (inPlace ? deployInPlace : deploy)(
          orch,
          { archive, sha256: upload.sha256, version, minCompatibleVersion, allowDowngrade, actor: actorOf(req) },
          (id) => (runId = id),
        );
        if (waitDrain) await result.drained;
        const { drained: _drained, ...summary } = result;
        out.end({ ...summary, type: 'result', op: 'deploy', ok: true, at: new Date().toISOString(), bytes: upload.bytes, sha256: upload.sha256, drainedWaited: waitDrain });
      } catch (err) {
        if (!out.committed) throw err;
        const error = toSlotswapError(err);
        out.end({ type: 'result', id: runId ?? '', op: 'deploy', ok: false, at: new Date().toISOString(), ...error.toJSON() });
      } finally {
        orch.events.off('event', forward);
      }
    } finally {
      await unlink(archive).catch(() => {});
    }
  };
}
