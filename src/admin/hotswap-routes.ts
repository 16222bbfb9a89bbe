// POST /api/hotswap/upload (raw body = the new executable) and POST /api/hotswap/update.
import type { Request, Response, Router } from 'express';
import express from 'express';
import { parseSha256 } from '../release/receive-upload.js';
import type { Orchestrator } from '../ops/orchestrator.js';
import { updateExecutable, uploadExecutable } from '../ops/hotswap.js';
import { checkDeclaredSize, option } from './request-options.js';

export function hotswapRoutes(orch: Orchestrator, actorOf: (req: Request) => string): Router {
  const router = express.Router();
  router.post('/api/hotswap/upload', async (req: Request, res: Response) => {
    checkDeclaredSize(req, orch.config.uploads.maxBytes);
    const sha256 = parseSha256(option(req, 'sha256'));
    // No lock: the upload lands through a temp file and one rename, which a running update never sees half-done.
    res.json(await uploadExecutable(orch, req, sha256));
  });
  router.post('/api/hotswap/update', async (req: Request, res: Response) => {
    res.json(await updateExecutable(orch, actorOf(req)));
  });
  return router;
}
