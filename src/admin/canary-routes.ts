// POST /api/canary {weight}, POST /api/promote, POST /api/abort: a running canary's weight, promotion and abort.
import express, { type Request, type Router } from 'express';
import { SlotswapError } from '../errors.js';
import type { Orchestrator } from '../ops/orchestrator.js';
import { parseWeight, progressiveStatus, setCanaryWeight } from '../ops/canary.js';
import { promoteCanary } from '../ops/promote.js';
import { abortCanary } from '../ops/abort.js';
import { buildStatus } from '../ops/status.js';

function weightOf(body: unknown): number {
  if (typeof body !== 'object' || body === null || !('weight' in body)) {
    throw new SlotswapError('bad_request', `expected a JSON body like {"weight": 25}, got ${JSON.stringify(body ?? null).slice(0, 60)}`);
  }
  return parseWeight((body as { weight: unknown }).weight, 'weight');
}

export function canaryRoutes(orch: Orchestrator, actorOf: (req: Request) => string): Router {
  const router = express.Router();
  const json = express.json({ limit: '4kb', strict: false });
  router.get('/api/canary', (_req, res) => {
    res.json(progressiveStatus(orch));
  });
  router.post('/api/canary', json, async (req, res) => {
    const weight = weightOf(req.body);
    res.json({ ok: true, ...(await setCanaryWeight(orch, actorOf(req), weight)) });
  });
  router.post('/api/promote', async (req, res) => {
    res.json({ ok: true, ...(await promoteCanary(orch, actorOf(req))), status: buildStatus(orch) });
  });
  router.post('/api/abort', async (req, res) => {
    res.json({ ok: true, ...(await abortCanary(orch, actorOf(req))), status: buildStatus(orch) });
  });
  return router;
}
