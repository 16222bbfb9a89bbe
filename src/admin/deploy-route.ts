// POST /api/deploy: the .tgz body streamed to disk with its sha256, then the deploy's steps as NDJSON lines.
import { mkdir } from 'node:fs/promises';
import { unlink } from 'node:fs/promises';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import { SlotswapError, toSlotswapError } from '../errors.js';
import { parseSha256, receiveUpload } from '../release/receive-upload.js';
import type { Orchestrator } from '../ops/orchestrator.js';
import { deploy } from '../ops/deploy.js';
import { deployInPlace } from '../ops/deploy-in-place.js';
import type { SlotswapEvent } from '../ops/operation-events.js';
import { NdjsonWriter } from './ndjson-writer.js';
import { checkDeclaredSize, flag, option } from './request-options.js';

export function deployRoute(orch: Orchestrator, actorOf: (req: Request) => string) {
  return async (req: Request, res: Response): Promise<void> => {
    checkDeclaredSize(req, orch.config.uploads.maxBytes);
    const sha256 = parseSha256(option(req, 'sha256'));
    const version = option(req, 'version') ?? null;
    const minCompatibleVersion = option(req, 'minCompatible') ?? null;
    const allowDowngrade = flag(req, 'allowDowngrade');
    const waitDrain = flag(req, 'waitDrain');
    const inPlace = flag(req, 'inPlace');
    if (orch.config.mode === 'hotswap') {
      throw new SlotswapError('bad_request', `this daemon runs in "mode": "hotswap"; update its executable with slotswap hotswap <file> instead of deploy`);
    }
    const uploads = path.join(path.dirname(orch.config.stateFile), 'uploads');
    let archive: string | null = null;
    try {
      await mkdir(uploads, { recursive: true });
      const upload = await receiveUpload(req, path.join(uploads, `${randomUUID()}.tgz`), { maxBytes: orch.config.uploads.maxBytes, sha256 });
      archive = upload.file;
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
      if (archive) await unlink(archive).catch(() => {});
    }
  };
}
