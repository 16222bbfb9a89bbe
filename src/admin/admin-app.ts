// The admin API on express 5: bearer auth, audit of every authorised mutating call, one error boundary.
import { fileURLToPath } from 'node:url';
import express, { type Request, type RequestHandler } from 'express';
import type { Orchestrator } from '../ops/orchestrator.js';
import { buildStatus } from '../ops/status.js';
import { flipOperation } from '../ops/flip.js';
import { parseNotice, setNotice } from '../ops/notice.js';
import { holdOperation, resumeOperation } from '../ops/hold.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { requireToken, actorOf, isAuthorized, AuthFailures, refuseWithoutToken } from './auth.js';
import { errorBoundary, notFound } from './error-boundary.js';
import { deployRoute } from './deploy-route.js';
import { eventsRoute } from './events-route.js';
import { hotswapRoutes } from './hotswap-routes.js';
import { canaryRoutes } from './canary-routes.js';
import { logsRoute } from './logs-route.js';
import { tlsReloadRoute, tlsRenewRoute } from './tls-route.js';
import { restartRoute } from './restart-route.js';
import { configRoute } from './config-route.js';
import { wholeNumber } from './request-options.js';
import { createMetrics } from './metrics.js';
import { rollbackOperation } from '../ops/rollback.js';
import { parseRollbackRequest } from './rollback-request.js';
import { drainOperation, parseDrainRequest } from '../ops/drain-control.js';
import { maintenanceRoutes } from './maintenance-route.js';
import { fleetRoutes, fleetStatusHint } from './fleet-routes.js';
import { fleetCanaryRoutes } from './fleet-canary-routes.js';

/** The status nginx made usual for "the client closed the connection before the answer". */
const CLIENT_CLOSED_REQUEST = 499;
const MUTATING = new Set(['POST', 'PUT', 'DELETE', 'PATCH']);

// req.socket is gone once a failed upload's connection closed: read the address through ?. always.
const actor = (req: Request) => actorOf(req.socket?.remoteAddress, true);

/**
 * Records every mutating admin call that passed the token check, once its answer is known. A refused (401) call never
 * touches the state file: anonymous traffic could otherwise push out real records and stall the proxy with writes.
 */
function audit(orch: Orchestrator): RequestHandler {
  return (req, res, next) => {
    if (MUTATING.has(req.method)) {
      const at = new Date().toISOString();
      const remote = req.socket?.remoteAddress;
      // 'close', not 'finish': a call whose client went away (a cut-off upload) is audited too, as 499.
      res.once('close', () => {
        if (!isAuthorized(res)) return;
        const status = res.writableFinished ? res.statusCode : CLIENT_CLOSED_REQUEST;
        const entry = { at, actor: actorOf(remote, true), action: `${req.method} ${req.path}`, status };
        // The entry goes to the daemon's log when the state file cannot take it, so the call is still on record.
        void orch.store.appendAudit(entry).catch((err: unknown) => console.error(`slotswap: could not write the audit entry ${JSON.stringify(entry)}: ${(err as Error).message}`));
      });
    }
    next();
  };
}

const DEFAULT_HISTORY_LIMIT = 20;
const MAX_HISTORY_LIMIT = 10_000;
/** Plain HTML/CSS/JS, no build step: served from the source tree for both src/ and dist/. */
const PAGE_DIR = fileURLToPath(new URL('../../src/admin/page/', import.meta.url));

/** The admin server's request handler: the token check in front, then the express app. */
export function createAdminHandler(orch: Orchestrator, token: string): (req: IncomingMessage, res: ServerResponse) => void {
  const authFailures = new AuthFailures();
  const app = createAdminApp(orch, token, authFailures);
  const refuse = refuseWithoutToken(token, authFailures);
  return (req, res) => {
    if (!refuse(req, res)) app(req, res);
  };
}

export function createAdminApp(orch: Orchestrator, token: string, authFailures = new AuthFailures()): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use('/api', audit(orch), requireToken(token, authFailures));
  app.use('/metrics', requireToken(token, authFailures));
  const json = express.json({ limit: '64kb', strict: false });

  app.get('/api/status', (_req, res) => {
    res.json({ ...buildStatus(orch), ...fleetStatusHint(orch) });
  });

  // On a fleet node: the fleet's canary, promote, abort and history (docs/fleet.md); without "fleet" it passes on.
  app.use(fleetCanaryRoutes(orch, actor));

  app.get('/api/history', (req, res) => {
    const limit = wholeNumber(req.query.limit, 'limit', 1, MAX_HISTORY_LIMIT, DEFAULT_HISTORY_LIMIT);
    res.json({ entries: orch.store.data.history.slice(-limit).reverse(), audit: orch.store.data.audit.slice(-limit).reverse() });
  });

  app.get('/api/events', eventsRoute(orch));

  // A fleet node coordinates POST /api/deploy itself (docs/fleet.md); without "fleet" it passes the call on.
  app.use(fleetRoutes(orch, actor));
  app.post('/api/deploy', deployRoute(orch, actor));

  app.post('/api/flip', async (req, res) => {
    const { steps: _steps, ...result } = await flipOperation(orch, actor(req));
    res.json({ ok: true, ...result, status: buildStatus(orch) });
  });

  app.use(hotswapRoutes(orch, actor));
  app.use(maintenanceRoutes(orch, token, actor));
  app.use(canaryRoutes(orch, actor));

  app.post('/api/rollback', json, async (req, res) => {
    const to = parseRollbackRequest(req.body, req.query.to);
    res.json({ ok: true, ...(await rollbackOperation(orch, { actor: actor(req), to })), status: buildStatus(orch) });
  });

  app.post('/api/drain', json, async (req, res) => {
    res.json({ ok: true, ...(await drainOperation(orch, parseDrainRequest(req.body))) });
  });

  app.get('/api/logs/:slot', logsRoute(orch));
  app.post('/api/tls/reload', tlsReloadRoute(orch));
  app.post('/api/tls/renew', tlsRenewRoute(orch));
  app.post('/api/restart', restartRoute(orch, actor));
  app.get('/api/config', configRoute(orch));

  const metrics = createMetrics(orch, authFailures);
  app.get('/metrics', async (_req, res) => {
    res.setHeader('content-type', metrics.contentType);
    res.send(await metrics.metrics());
  });

  app.post('/api/hold', async (req, res) => {
    res.json({ ok: true, hold: await holdOperation(orch, actor(req)) });
  });

  app.post('/api/resume', async (req, res) => {
    res.json({ ok: true, hold: await resumeOperation(orch, actor(req)) });
  });

  app.put('/api/notice', json, async (req, res) => {
    const changed = await setNotice(orch, parseNotice(req.body));
    res.json({ ok: true, changed, notice: orch.store.data.notice, manifest: orch.store.data.manifest });
  });

  app.delete('/api/notice', async (_req, res) => {
    const changed = await setNotice(orch, null);
    res.json({ ok: true, changed, notice: null, manifest: orch.store.data.manifest });
  });

  // The page's own files hold no data: served without the token (each API call it makes sends it).
  app.use(express.static(PAGE_DIR, { index: 'index.html', maxAge: 0 }));

  app.use(notFound);
  app.use(errorBoundary);
  return app;
}
