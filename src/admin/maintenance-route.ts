// /api/maintenance: GET (the mode now), PUT (on, or change it), DELETE (off); /api/maintenance/bypass: the bypass value.
import express, { type Request, type Router } from 'express';
import type { Orchestrator } from '../ops/orchestrator.js';
import { maintenanceOff, maintenanceOn, maintenanceStatus, parseMaintenanceRequest } from '../ops/maintenance.js';
import { BYPASS_COOKIE, maintenanceBypass } from '../proxy/maintenance-bypass.js';

/** The page may be 1 MiB and JSON escaping can grow it (quotes, non-ASCII): the body limit leaves room for that. */
const MAINTENANCE_BODY_LIMIT = '8mb';

export function maintenanceRoutes(orch: Orchestrator, token: string, actorOf: (req: Request) => string): Router {
  const router = express.Router();
  const json = express.json({ limit: MAINTENANCE_BODY_LIMIT, strict: false });
  router.get('/api/maintenance', (_req, res) => {
    res.json(maintenanceStatus(orch));
  });
  router.put('/api/maintenance', json, async (req, res) => {
    res.json({ ok: true, ...(await maintenanceOn(orch, parseMaintenanceRequest(req.body), actorOf(req))) });
  });
  router.delete('/api/maintenance', async (req, res) => {
    res.json({ ok: true, ...(await maintenanceOff(orch, actorOf(req))) });
  });
  // Derived from the token, so only a token holder learns it, and a new token makes the old value worthless.
  router.get('/api/maintenance/bypass', (_req, res) => {
    const value = maintenanceBypass(token);
    res.json({ value, cookie: `${BYPASS_COOKIE}=${value}`, header: `X-Slotswap-Bypass: ${value}` });
  });
  return router;
}
