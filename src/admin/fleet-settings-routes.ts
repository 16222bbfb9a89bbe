// On a fleet node, notice, hold/resume and maintenance are the fleet's (docs/fleet.md): the route writes the change in
// etcd's settings key (one compare-revision transaction), applies it here and tells every other node to apply it.
// Without "fleet" each route passes the call on to the local one.
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { toSlotswapError } from '../errors.js';
import type { Orchestrator } from '../ops/orchestrator.js';
import { parseNotice } from '../ops/notice.js';
import { maintenanceStatus, parseMaintenanceRequest } from '../ops/maintenance.js';
import { FLEET_ETCD_CALL_TIMEOUT_MS } from '../defaults.js';
import { fleetAgentOf, type FleetAgent } from '../fleet/fleet-agent.js';
import { writeSettings, type SettingsChange } from '../fleet/fleet-settings.js';
import { callPeer } from '../fleet/fleet-peer.js';
import { recordFleetOperation } from '../fleet/fleet-history.js';

export interface NodeApplied {
  name: string;
  ok: boolean;
  error?: string;
}

/** Writes the change, applies it on this node (its error is the call's), and asks every other node to apply it. */
function changeFleet(agent: FleetAgent, actor: string, change: SettingsChange): Promise<{ changed: boolean; nodes: NodeApplied[] }> {
  const op = 'notice' in change ? (change.notice ? 'notice set' : 'notice clear') : 'hold' in change ? (change.hold ? 'hold' : 'resume') : change.maintenance ? 'maintenance on' : 'maintenance off';
  const version = agent.orch.liveVersion();
  return recordFleetOperation(agent, op, actor, () => writeAndApply(agent, actor, change), (r) => ({ toVersion: version, error: r.changed ? null : 'nothing changed: the fleet had it already' }));
}

async function writeAndApply(agent: FleetAgent, actor: string, change: SettingsChange): Promise<{ changed: boolean; nodes: NodeApplied[] }> {
  const { settings, revision, changed } = await writeSettings(agent.store, agent.name, actor, change);
  const nodes = await agent.store.nodes().catch(() => []);
  const others = nodes.filter((n) => n.name !== agent.name);
  const [, ...applied] = await Promise.all([
    agent.applySettings(settings, revision),
    // A node this call does not reach applies the change from its watch of the settings key.
    ...others.map((n) =>
      callPeer(n.advertiseUrl, agent.token, 'POST', '/api/fleet/settings', {}, FLEET_ETCD_CALL_TIMEOUT_MS * 2).then(
        (): NodeApplied => ({ name: n.name, ok: true }),
        (err: unknown): NodeApplied => ({ name: n.name, ok: false, error: toSlotswapError(err).message }),
      ),
    ),
  ]);
  return { changed, nodes: [{ name: agent.name, ok: true }, ...(applied as NodeApplied[])] };
}

type FleetHandler = (agent: FleetAgent, req: Request, res: Response) => Promise<void>;

function fleetOnly(orch: Orchestrator, handler: FleetHandler) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const agent = fleetAgentOf(orch);
    if (!agent) return next();
    await handler(agent, req, res);
  };
}

export function fleetSettingsRoutes(orch: Orchestrator, actorOf: (req: Request) => string): Router {
  const router = express.Router();
  const json = express.json({ limit: '64kb', strict: false });
  // The maintenance page may be 1 MiB, grown by JSON escaping: the same limit as the local route.
  const maintenanceJson = express.json({ limit: '8mb', strict: false });

  router.put('/api/notice', json, fleetOnly(orch, async (agent, req, res) => {
    const { changed, nodes } = await changeFleet(agent, actorOf(req), { notice: parseNotice(req.body) });
    res.json({ ok: true, changed, notice: orch.store.data.notice, manifest: orch.store.data.manifest, fleet: { nodes } });
  }));
  router.delete('/api/notice', fleetOnly(orch, async (agent, req, res) => {
    const { changed, nodes } = await changeFleet(agent, actorOf(req), { notice: null });
    res.json({ ok: true, changed, notice: null, manifest: orch.store.data.manifest, fleet: { nodes } });
  }));

  router.post('/api/hold', fleetOnly(orch, async (agent, req, res) => {
    const { nodes } = await changeFleet(agent, actorOf(req), { hold: true });
    res.json({ ok: true, hold: orch.requireProxy().holdStats(), fleet: { nodes } });
  }));
  router.post('/api/resume', fleetOnly(orch, async (agent, req, res) => {
    const proxy = orch.requireProxy();
    const heldMs = proxy.heldForMs();
    const waiting = proxy.holdStats().queued;
    const { nodes } = await changeFleet(agent, actorOf(req), { hold: false });
    res.json({ ok: true, hold: { ...proxy.holdStats(), heldMs, waiting }, fleet: { nodes } });
  }));

  router.put('/api/maintenance', maintenanceJson, fleetOnly(orch, async (agent, req, res) => {
    const { changed, nodes } = await changeFleet(agent, actorOf(req), { maintenance: parseMaintenanceRequest(req.body) });
    res.json({ ok: true, changed, maintenance: maintenanceStatus(orch), fleet: { nodes } });
  }));
  router.delete('/api/maintenance', fleetOnly(orch, async (agent, req, res) => {
    const { changed, nodes } = await changeFleet(agent, actorOf(req), { maintenance: null });
    res.json({ ok: true, changed, maintenance: maintenanceStatus(orch), fleet: { nodes } });
  }));

  // A peer's word after it changed the settings: read them from etcd and apply them now (the watch may lag).
  router.post('/api/fleet/settings', fleetOnly(orch, async (agent, _req, res) => {
    await agent.syncSettings();
    res.json({ ok: true, node: agent.name, revision: agent.settingsRevision });
  }));
  return router;
}
