// POST /api/hotswap/upload (raw body = the new executable) and POST /api/hotswap/update.
import type { Request, Response, Router } from 'express';
import express from 'express';
import { SlotswapError } from '../errors.js';
import { parseSha256 } from '../release/receive-upload.js';
import type { Orchestrator } from '../ops/orchestrator.js';
import { updateExecutable, uploadExecutable } from '../ops/hotswap.js';

/** Refuses an upload whose declared size is already too large, before reading a byte of it. */
export function checkDeclaredSize(req: Request, maxBytes: number): void {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    throw new SlotswapError('payload_too_large', `the upload is ${declared} bytes, over uploads.maxBytes (${maxBytes}); raise the limit or send a smaller file`);
  }
}

export function sha256Option(req: Request): string | null {
  const fromQuery = req.query.sha256;
  return parseSha256(typeof fromQuery === 'string' ? fromQuery : req.headers['x-slotswap-sha256']);
}

export function hotswapRoutes(orch: Orchestrator, actorOf: (req: Request) => string): Router {
  const router = express.Router();
  router.post('/api/hotswap/upload', async (req: Request, res: Response) => {
    checkDeclaredSize(req, orch.config.uploads.maxBytes);
    const sha256 = sha256Option(req);
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
