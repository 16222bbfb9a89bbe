// POST /api/hotswap/upload (raw body = the new executable), GET of it (is one waiting?) and POST /api/hotswap/update.
import { createReadStream } from 'node:fs';
import { stat, unlink } from 'node:fs/promises';
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
    // Received and verified into state/uploads first, so a stalled client holds nothing; then copied to hotswap.updateFile.
    const uploads = path.join(path.dirname(orch.config.stateFile), 'uploads');
    const received = await receiveRequestUpload(req, res, path.join(uploads, `${randomUUID()}.exe`), { maxBytes, sha256, idleTimeoutMs });
    try {
      // No lock: the update file is replaced through a temp file and one rename, which a running update never sees half-done.
      res.json(await uploadExecutable(orch, createReadStream(received.file), received.sha256));
    } finally {
      await unlink(received.file).catch(() => {});
    }
  });
  // Read-only: whether an uploaded executable waits at hotswap.updateFile (the page enables Update Exe only then).
  router.get('/api/hotswap/upload', async (_req: Request, res: Response) => {
    requireHotswapMode(orch);
    const { updateFile } = orch.config.hotswap;
    const found = await stat(updateFile).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return null;
      throw err;
    });
    res.json(found ? { pending: true, file: updateFile, bytes: found.size, mtime: found.mtime.toISOString() } : { pending: false, file: updateFile, bytes: null, mtime: null });
  });
  router.post('/api/hotswap/update', async (req: Request, res: Response) => {
    res.json(await updateExecutable(orch, actorOf(req)));
  });
  return router;
}
