// The upload half of POST /api/deploy on a fleet node (plain or --canary): the request's options read and checked, the
// archive received, the operation's steps streamed as NDJSON, its result or failure last, the upload removed.
import { unlink } from 'node:fs/promises';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import { SlotswapError, toSlotswapError } from '../errors.js';
import type { Orchestrator } from '../ops/orchestrator.js';
import type { StepEvent } from '../ops/operation-events.js';
import { parseSha256 } from '../release/receive-upload.js';
import { parseVersionOption } from '../release/version-gate.js';
import type { FleetDeployRequest } from '../fleet/fleet-deploy.js';
import { NdjsonWriter } from './ndjson-writer.js';
import { checkDeclaredSize, flag, option } from './request-options.js';
import { receiveRequestUpload } from './upload-request.js';

type Emit = (event: StepEvent, commit?: boolean) => void;

/** Reads the deploy's options (before the body, so a bad one is refused without an upload), then runs `operation`. */
export async function fleetDeployUpload<R extends object>(
  orch: Orchestrator,
  req: Request,
  res: Response,
  actor: string,
  operation: (request: FleetDeployRequest, emit: Emit) => Promise<R>,
  answer: (result: R) => Record<string, unknown>,
): Promise<void> {
  checkDeclaredSize(req, orch.config.uploads.maxBytes);
  if (flag(req, 'inPlace')) throw new SlotswapError('bad_request', "deploy --in-place is not available on a fleet; a fleet deploy always uses every node's idle slot");
  const sha256 = parseSha256(option(req, 'sha256'));
  const version = parseVersionOption(option(req, 'version'), 'version');
  const minCompatibleVersion = parseVersionOption(option(req, 'minCompatible'), 'minCompatibleVersion');
  const allowDowngrade = flag(req, 'allowDowngrade');
  const { maxBytes, idleTimeoutMs } = orch.config.uploads;
  const upload = await receiveRequestUpload(req, res, path.join(path.dirname(orch.config.stateFile), 'uploads', `${randomUUID()}.tgz`), { maxBytes, sha256, idleTimeoutMs });
  const out = new NdjsonWriter(res);
  try {
    const result = await operation({ archive: upload.file, sha256: upload.sha256, version, minCompatibleVersion, allowDowngrade, actor }, (event, commit) => out.write(event, commit));
    out.end({ ...answer(result), type: 'result', op: 'deploy', ok: true, at: new Date().toISOString(), bytes: upload.bytes, sha256: upload.sha256, drainedWaited: false });
  } catch (err) {
    if (!out.committed) throw err;
    out.end({ type: 'result', id: '', op: 'deploy', ok: false, at: new Date().toISOString(), ...toSlotswapError(err).toJSON() });
  } finally {
    await unlink(upload.file).catch(() => {});
  }
}
