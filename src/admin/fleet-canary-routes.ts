// On a fleet node the canary is the fleet's (docs/fleet.md): deploy --canary, canary set, promote and abort run
// fleet-wide; GET /api/history lists the fleet's history from etcd (?local=true: this node's own). The
// /api/fleet/canary* routes are what the nodes call on each other. Without "fleet" every route passes the call on.
import { unlink } from 'node:fs/promises';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { SlotswapError, toSlotswapError } from '../errors.js';
import type { Orchestrator } from '../ops/orchestrator.js';
import { parseWeight } from '../ops/canary.js';
import { buildStatus } from '../ops/status.js';
import { parseSha256 } from '../release/receive-upload.js';
import { parseVersionOption } from '../release/version-gate.js';
import { fleetAgentOf, type FleetAgent } from '../fleet/fleet-agent.js';
import { checkFleetProgressive, fleetCanaryDeploy, fleetCanaryWeight } from '../fleet/fleet-canary.js';
import { fleetAbort, fleetPromote, type CanaryCheck } from '../fleet/fleet-canary-end.js';
import { followCanary } from '../fleet/fleet-canary-node.js';
import type { FleetCanary } from '../fleet/fleet-canary-record.js';
import { recordFleetOperation } from '../fleet/fleet-history.js';
import { progressiveOptions } from './progressive-options.js';
import { NdjsonWriter } from './ndjson-writer.js';
import { checkDeclaredSize, flag, option, wholeNumber } from './request-options.js';
import { receiveRequestUpload } from './upload-request.js';

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
  checkDeclaredSize(req, orch.config.uploads.maxBytes);
  if (flag(req, 'inPlace')) throw new SlotswapError('bad_request', "deploy --in-place is not available on a fleet; a fleet deploy always uses every node's idle slot");
  const progressive = progressiveOptions(req)!;
  checkFleetProgressive(progressive, flag(req, 'wait'));
  const sha256 = parseSha256(option(req, 'sha256'));
  const version = parseVersionOption(option(req, 'version'), 'version');
  const minCompatibleVersion = parseVersionOption(option(req, 'minCompatible'), 'minCompatibleVersion');
  const allowDowngrade = flag(req, 'allowDowngrade');
  const { maxBytes, idleTimeoutMs } = orch.config.uploads;
  const upload = await receiveRequestUpload(req, res, path.join(path.dirname(orch.config.stateFile), 'uploads', `${randomUUID()}.tgz`), { maxBytes, sha256, idleTimeoutMs });
  const out = new NdjsonWriter(res);
  try {
    const result = await recordFleetOperation(
      agent,
      'canary',
      actor,
      () => fleetCanaryDeploy(agent, { archive: upload.file, sha256: upload.sha256, version, minCompatibleVersion, allowDowngrade, actor }, progressive, (event, commit) => out.write(event, commit)),
      (r) => ({ toVersion: r.version, slot: r.slot }),
      version,
    );
    out.end({ ...result, previous: null, type: 'result', op: 'deploy', ok: true, at: new Date().toISOString(), bytes: upload.bytes, sha256: upload.sha256, drainedWaited: false });
  } catch (err) {
    if (!out.committed) throw err;
    out.end({ type: 'result', id: '', op: 'deploy', ok: false, at: new Date().toISOString(), ...toSlotswapError(err).toJSON() });
  } finally {
    await unlink(upload.file).catch(() => {});
  }
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
    const result = await recordFleetOperation(agent, 'promote', actorOf(req), () => fleetPromote(agent, actorOf(req)), (r) => ({ toVersion: r.version, slot: r.slot, steps: r.steps }));
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
