// On a fleet node the canary is the fleet's (docs/fleet.md): deploy --canary, canary set, promote and abort run
// fleet-wide; GET /api/history lists the fleet's history from etcd (?local=true: this node's own). The
// /api/fleet/canary* routes are what the nodes call on each other. Without "fleet" every route passes the call on.
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { SlotswapError, toSlotswapError } from '../errors.js';
import type { Orchestrator } from '../ops/orchestrator.js';
import { parseWeight } from '../ops/canary.js';
import { buildStatus } from '../ops/status.js';
import { fleetAgentOf, type FleetAgent } from '../fleet/fleet-agent.js';
import { checkFleetProgressive, fleetCanaryDeploy, fleetCanaryWeight } from '../fleet/fleet-canary.js';
import { fleetAbort, fleetPromote, type CanaryCheck } from '../fleet/fleet-canary-end.js';
import { followCanary } from '../fleet/fleet-canary-node.js';
import type { FleetCanary } from '../fleet/fleet-canary-record.js';
import { recordFleetOperation } from '../fleet/fleet-history.js';
import { progressiveOptions } from './progressive-options.js';
import { flag, wholeNumber } from './request-options.js';
import { fleetDeployUpload } from './fleet-deploy-upload.js';

const MAX_FLEET_HISTORY_LIMIT = 100;
const DEFAULT_HISTORY_LIMIT = 20;

type FleetHandler = (agent: FleetAgent, req: Request, res: Response, next: NextFunction) => Promise<void>;

function fleetOnly(orch: Orchestrator, handler: FleetHandler) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const agent = fleetAgentOf(orch);
    if (!agent) return next();
    await handler(agent, req, res, next);
  };
}

function weightOf(body: unknown): number {
  if (typeof body !== 'object' || body === null || !('weight' in body)) throw new SlotswapError('bad_request', `expected a JSON body like {"weight": 25}, got ${JSON.stringify(body ?? null).slice(0, 60)}`);
  return parseWeight((body as { weight: unknown }).weight, 'weight');
}

async function refuseWhileCanary(agent: FleetAgent, what: string): Promise<void> {
  const { canary } = await agent.store.readCanary();
  if (canary) throw new SlotswapError('conflict', `a fleet canary of ${canary.version} runs (${canary.weight} %), so ${what} would go around it; promote or abort it first (slotswap promote / slotswap abort)`);
}

/** POST /api/deploy --canary on a fleet node: the upload is received, then the fleet canary runs with this node as coordinator. */
async function canaryDeploy(orch: Orchestrator, agent: FleetAgent, req: Request, res: Response, actor: string): Promise<void> {
  const progressive = progressiveOptions(req)!;
  checkFleetProgressive(progressive, flag(req, 'wait'));
  await fleetDeployUpload(
    orch,
    req,
    res,
    actor,
    (request, emit) => recordFleetOperation(agent, 'canary', actor, () => fleetCanaryDeploy(agent, request, progressive, emit), (r) => ({ toVersion: r.version, slot: r.slot }), request.version),
    (result) => ({ ...result, previous: null }),
  );
}

/** What this node answers a promote's check: it runs the canary `deployId` in a ready slot, every instance healthy. */
function canaryCheck(agent: FleetAgent, deployId: string): CanaryCheck {
  const orch = agent.orch;
  const local = orch.store.data.canary;
  const slot = agent.prepared.get(deployId) ?? (local?.deployId === deployId ? local.slot : null);
  if (!slot) return { node: agent.name, slot: null, ready: false, reason: `it does not run the fleet's canary ${deployId} (yet)` };
  const state = orch.store.data.slots[slot].state;
  const ups = orch.runtime.upstreams(slot);
  const healthy = ups.filter((u) => u.healthy).length;
  if (state !== 'ready' || ups.length === 0 || healthy < ups.length) return { node: agent.name, slot, ready: false, reason: `its canary slot ${slot} is ${state} with ${healthy}/${ups.length} healthy instance(s)` };
  return { node: agent.name, slot, ready: true, reason: null };
}

export function fleetCanaryRoutes(orch: Orchestrator, actorOf: (req: Request) => string): Router {
  const router = express.Router();
  const json = express.json({ limit: '64kb', strict: false });

  router.post('/api/deploy', fleetOnly(orch, async (agent, req, res, next) => {
    if (progressiveOptions(req) !== null) return canaryDeploy(orch, agent, req, res, actorOf(req));
    if (flag(req, 'wait')) throw new SlotswapError('bad_request', '--wait waits for a canary or a watch to be decided: add --canary <percent> or --watch <ms>');
    await refuseWhileCanary(agent, 'a deploy');
    next();
  }));
  for (const op of ['flip', 'rollback'] as const) {
    router.post(`/api/${op}`, fleetOnly(orch, async (agent, _req, _res, next) => {
      await refuseWhileCanary(agent, `a ${op}`);
      next();
    }));
  }

  router.post('/api/canary', json, fleetOnly(orch, async (agent, req, res) => {
    const weight = weightOf(req.body);
    const { canary, late } = await recordFleetOperation(agent, 'canary', actorOf(req), () => fleetCanaryWeight(agent, weight), (r) => ({ toVersion: r.canary.version }));
    res.json({ ok: true, canary: { ...canary, slot: canary.slots[agent.name] ?? orch.store.data.canary?.slot ?? null }, late });
  }));
  router.post('/api/promote', fleetOnly(orch, async (agent, req, res) => {
    const result = await recordFleetOperation(agent, 'promote', actorOf(req), () => fleetPromote(agent), (r) => ({ toVersion: r.version, slot: r.slot, steps: r.steps }));
    res.json({ ok: true, ...result, status: buildStatus(orch) });
  }));
  router.post('/api/abort', fleetOnly(orch, async (agent, req, res) => {
    const result = await recordFleetOperation(agent, 'abort', actorOf(req), () => fleetAbort(agent, actorOf(req)), (r) => ({ toVersion: r.version, slot: r.slot, outcome: 'aborted', error: r.message }));
    res.json({ ok: true, ...result, status: buildStatus(orch) });
  }));

  // The coordinator's word after a canary transaction: follow it now (the watch may lag).
  router.post('/api/fleet/canary', json, fleetOnly(orch, async (agent, req, res) => {
    const body = (req.body ?? {}) as { canary?: FleetCanary | null; revision?: unknown };
    const canary = body.canary ?? null;
    if (canary !== null && (typeof canary !== 'object' || typeof canary.deployId !== 'string' || typeof canary.sha256 !== 'string' || typeof canary.weight !== 'number')) {
      throw new SlotswapError('bad_request', `"canary": expected the fleet canary record {deployId, sha256, weight, ...} or null, got ${JSON.stringify(canary).slice(0, 200)}`);
    }
    await followCanary(agent, canary, Number(body.revision) || 0);
    res.json({ ok: true, node: agent.name, canary: orch.store.data.canary });
  }));
  router.post('/api/fleet/canary/check', json, fleetOnly(orch, async (agent, req, res) => {
    const deployId = (req.body as { deployId?: unknown } | undefined)?.deployId;
    if (typeof deployId !== 'string' || deployId === '') throw new SlotswapError('bad_request', `"deployId": expected a string, got ${JSON.stringify(deployId)}`);
    res.json({ ok: true, ...canaryCheck(agent, deployId) });
  }));

  // The fleet's history from etcd, newest first; ?local=true: this node's own history (as without "fleet").
  router.get('/api/history', fleetOnly(orch, async (agent, req, res, next) => {
    if (flag(req, 'local')) return next();
    const limit = wholeNumber(req.query.limit, 'limit', 1, MAX_FLEET_HISTORY_LIMIT, DEFAULT_HISTORY_LIMIT);
    const audit = orch.store.data.audit.slice(-limit).reverse();
    let entries;
    try {
      entries = await agent.store.history(limit);
    } catch (err) {
      // A read degrades like status --fleet: this node's own history, saying why (the CLI still exits 3).
      const message = `cannot read the fleet's history: ${toSlotswapError(err).message}; this node's own history follows (slotswap history --local)`;
      res.json({ scope: 'local', node: agent.name, etcd: 'unreachable', message, entries: orch.store.data.history.slice(-limit).reverse(), audit });
      return;
    }
    res.json({ scope: 'fleet', node: agent.name, entries, audit });
  }));
  return router;
}
