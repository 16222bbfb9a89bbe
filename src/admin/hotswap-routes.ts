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
    const lock = orch.lock.acquire('hotswap upload');
    try {
      res.json(await uploadExecutable(orch, req, sha256));
    } finally {
      lock.release();
    }
  });
  router.post('/api/hotswap/update', async (req: Request, res: Response) => {
    const lock = orch.lock.acquire('hotswap');
    res.json(await updateExecutable(orch, lock, actorOf(req)));
  });
  return router;
}
