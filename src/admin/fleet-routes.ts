// The fleet's admin routes (docs/fleet.md): POST /api/deploy on a fleet node coordinates a fleet deploy; the
// /api/fleet/* routes are what the nodes call on each other (shared admin token), and status --fleet reads.
import { createReadStream } from 'node:fs';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { SlotswapError, toSlotswapError } from '../errors.js';
import type { FleetRelease } from '../fleet/fleet-store.js';
import type { Orchestrator } from '../ops/orchestrator.js';
import { parseSha256 } from '../release/receive-upload.js';
import { fleetAgentOf, type FleetAgent } from '../fleet/fleet-agent.js';
import { fleetDeploy } from '../fleet/fleet-deploy.js';
import { fleetRollback } from '../fleet/fleet-rollback.js';
import { buildStatus } from '../ops/status.js';
import { parseRollbackRequest } from './rollback-request.js';
import { abortPrepared, type PrepareRequest } from '../fleet/fleet-node.js';
import { prepareBackHere, prepareHere } from '../fleet/fleet-prepare-here.js';
import { localArchive } from '../fleet/fleet-archives.js';
import { fleetDeployUpload } from './fleet-deploy-upload.js';
import { fleetSettingsRoutes } from './fleet-settings-routes.js';
import { recordFleetOperation } from '../fleet/fleet-history.js';

function requireAgent(orch: Orchestrator): FleetAgent {
  const agent = fleetAgentOf(orch);
  if (!agent) throw new SlotswapError('not_found', 'this daemon is not part of a fleet (its config has no "fleet" key); see docs/fleet.md');
  return agent;
}

const text = (value: unknown, name: string): string => {
  if (typeof value !== 'string' || value === '') throw new SlotswapError('bad_request', `"${name}": expected a string, got ${JSON.stringify(value)}`);
  return value;
};
const textOrNull = (value: unknown, name: string): string | null => (value === null || value === undefined ? null : text(value, name));

/** POST /api/deploy on a fleet node: the upload is received, then the fleet deploy runs with this node as coordinator. */
function fleetDeployRoute(orch: Orchestrator, actorOf: (req: Request) => string) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const agent = fleetAgentOf(orch);
    if (!agent) return next();
    const actor = actorOf(req);
    await fleetDeployUpload(
      orch,
      req,
      res,
      actor,
      (request, emit) => recordFleetOperation(agent, 'deploy', actor, () => fleetDeploy(agent, request, emit), (r) => ({ toVersion: r.version, slot: r.slot }), request.version),
      (result) => ({ ...result, previous: null, fleetPrevious: result.previous }),
    );
  };
}

/** Added to GET /api/status on a fleet node only (the admin page then shows its fleet card); nothing without "fleet". */
export function fleetStatusHint(orch: Orchestrator): { fleet?: { node: string; etcd: 'reachable' | 'unreachable'; ready: boolean } } {
  const agent = fleetAgentOf(orch);
  return agent ? { fleet: { node: agent.name, etcd: agent.store.reachable ? 'reachable' : 'unreachable', ready: agent.readyReason === null } } : {};
}

export function fleetRoutes(orch: Orchestrator, actorOf: (req: Request) => string): Router {
  const router = express.Router();
  const json = express.json({ limit: '64kb' });
  router.post('/api/deploy', fleetDeployRoute(orch, actorOf));
  router.use(fleetSettingsRoutes(orch, actorOf));

  router.post('/api/fleet/prepare', json, async (req, res) => {
    const agent = requireAgent(orch);
    const body = (req.body ?? {}) as Record<string, unknown>;
    res.json({ ok: true, ...(await prepareHere(agent, prepareRequestOf(body, body.allowDowngrade === true), text(body.from, 'from'))) });
  });

  // Back to the fleet's previous release: a lower version than the live one by design.
  router.post('/api/fleet/prepare-back', json, async (req, res) => {
    const agent = requireAgent(orch);
    res.json({ ok: true, ...(await prepareBackHere(agent, prepareRequestOf((req.body ?? {}) as Record<string, unknown>, true))) });
  });

  // slotswap flip and rollback on a fleet node take the whole fleet back to its previous release (fleet-rollback.ts).
  for (const op of ['flip', 'rollback'] as const) {
    router.post(`/api/${op}`, json, async (req, res, next) => {
      const agent = fleetAgentOf(orch);
      if (!agent) return next();
      if (op === 'rollback' && parseRollbackRequest(req.body, req.query.to)) throw new SlotswapError('bad_request', 'rollback --to is not fleet-wide yet: deploy that version to the fleet instead (slotswap deploy <its folder>)');
      const result = await recordFleetOperation(agent, op, actorOf(req), () => fleetRollback(agent, op, actorOf(req)), (r) => ({ toVersion: r.version, slot: r.slot, steps: r.steps }));
      res.json({ ok: true, ...result, status: buildStatus(orch) });
    });
  }

  router.post('/api/fleet/abort', json, async (req, res) => {
    const agent = requireAgent(orch);
    const deployId = text((req.body as Record<string, unknown> | undefined)?.deployId, 'deployId');
    const slot = agent.prepared.get(deployId);
    agent.prepared.delete(deployId);
    res.json({ ok: true, node: agent.name, detail: slot ? await abortPrepared(orch, slot, `fleet:${agent.name}`) : 'nothing was prepared for it' });
  });

  // The coordinator's word right after its commit: read the fleet's release and follow it now (the watch may lag).
  router.post('/api/fleet/follow', json, (req, res) => {
    const agent = requireAgent(orch);
    agent.followNow(followedRelease((req.body as Record<string, unknown> | undefined)?.release));
    res.json({ ok: true, node: agent.name });
  });

  router.get('/api/fleet/node', (_req, res) => {
    const agent = requireAgent(orch);
    res.json({ ...agent.record(), liveDeployId: agent.liveDeployId, followedAt: agent.followedAt, ready: agent.readyReason === null, notReady: agent.readyReason, settingsRevision: agent.settingsRevision, etcd: agent.store.reachable ? 'reachable' : 'unreachable' });
  });

  // The archive a node fetches for a deploy or when it starts; authenticated like every /api route.
  router.get('/api/fleet/archive/:sha256', async (req, res) => {
    requireAgent(orch);
    const file = await localArchive(orch, String(req.params.sha256));
    if (!file) throw new SlotswapError('not_found', `no release archive with sha256 ${req.params.sha256} on this node`);
    res.setHeader('content-type', 'application/gzip');
    createReadStream(file).pipe(res);
  });

  router.get('/api/fleet/status', async (_req, res) => {
    const agent = requireAgent(orch);
    try {
      const [nodes, { release }] = await Promise.all([agent.store.nodes(), agent.store.readRelease()]);
      res.json({ etcd: 'reachable', endpoints: agent.fleet.etcd.endpoints, node: agent.name, release, nodes });
    } catch (err) {
      res.json({ etcd: 'unreachable', endpoints: agent.fleet.etcd.endpoints, node: agent.name, message: toSlotswapError(err).message, release: null, nodes: [agent.record()] });
    }
  });
  return router;
}

/** The release a coordinator hands over with POST /api/fleet/follow (a peer holding the fleet token), or null. */
function followedRelease(value: unknown): FleetRelease | null {
  if (value === undefined || value === null) return null;
  const r = value as Partial<FleetRelease>;
  if (typeof value !== 'object' || typeof r.deployId !== 'string' || typeof r.version !== 'string' || typeof r.sha256 !== 'string' || typeof r.manifest !== 'object' || r.manifest === null) {
    throw new SlotswapError('bad_request', `"release": expected the fleet release record {deployId, version, sha256, manifest, ...}, got ${JSON.stringify(value).slice(0, 200)}`);
  }
  return r as FleetRelease;
}

/** The release a coordinator asks a node to prepare (POST /api/fleet/prepare and /prepare-back). */
function prepareRequestOf(body: Record<string, unknown>, allowDowngrade: boolean): PrepareRequest {
  return {
    deployId: text(body.deployId, 'deployId'),
    sha256: parseSha256(body.sha256) ?? text(body.sha256, 'sha256'),
    version: textOrNull(body.version, 'version'),
    minCompatibleVersion: textOrNull(body.minCompatibleVersion, 'minCompatibleVersion'),
    allowDowngrade,
    actor: `fleet:${typeof body.actor === 'string' ? body.actor : 'coordinator'}`,
  };
}
