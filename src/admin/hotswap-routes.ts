// POST /api/hotswap/upload (raw body = the new executable) and POST /api/hotswap/update.
import { createReadStream } from 'node:fs';
import { unlink } from 'node:fs/promises';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Request, Response, Router } from 'express';
import express from 'express';
import { parseSha256 } from '../release/receive-upload.js';
import type { Orchestrator } from '../ops/orchestrator.js';
import { requireHotswapMode, updateExecutable, uploadExecutable } from '../ops/hotswap.js';
import { checkDeclaredSize, option } from './request-options.js';
import { receiveRequestUpload } from './upload-request.js';

export function hotswapRoutes(orch: Orchestrator, actorOf: (req: Request) => string): Router {
  const router = express.Router();
  router.post('/api/hotswap/upload', async (req: Request, res: Response) => {
    checkDeclaredSize(req, orch.config.uploads.maxBytes);
    const sha256 = parseSha256(option(req, 'sha256'));
    requireHotswapMode(orch);
    const { maxBytes, idleTimeoutMs } = orch.config.uploads;
    // Received and verified into state/uploads before the lock; under the lock it is copied to hotswap.updateFile.
    const uploads = path.join(path.dirname(orch.config.stateFile), 'uploads');
    const received = await receiveRequestUpload(req, res, path.join(uploads, `${randomUUID()}.exe`), { maxBytes, sha256, idleTimeoutMs });
    try {
      const lock = orch.lock.acquire('hotswap upload');
      try {
        res.json(await uploadExecutable(orch, createReadStream(received.file), received.sha256));
      } finally {
        lock.release();
      }
    } finally {
      await unlink(received.file).catch(() => {});
    }
  });
  router.post('/api/hotswap/update', async (req: Request, res: Response) => {
    const lock = orch.lock.acquire('hotswap');
    res.json(await updateExecutable(orch, lock, actorOf(req)));
  });
  return router;
}
