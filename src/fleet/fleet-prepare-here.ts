// What a fleet node prepares in its idle slot: a coordinator's deploy or flip back, or the fleet's release a node
// that missed the deploy brings up itself. Each keeps its archive from being pruned while it is in use.
import { SlotswapError } from '../errors.js';
import type { FleetAgent } from './fleet-agent.js';
import type { FleetRelease } from './fleet-store.js';
import { abortPrepared, prepareBack, prepareRelease, type PrepareRequest, type PrepareResult } from './fleet-node.js';
import { fetchArchive, localArchive } from './fleet-archives.js';

/** The fleet lock lets one fleet operation run at a time: what an earlier one prepared and never flipped is stale. */
async function dropStale(agent: FleetAgent, deployId: string): Promise<void> {
  for (const [id, slot] of agent.prepared) {
    if (id === deployId) continue;
    agent.prepared.delete(id);
    await abortPrepared(agent.orch, slot, `fleet:${agent.name}`);
  }
}

/** What this node serves now, told to the coordinator (the fleet's first release keeps it as the way back). */
function serving(agent: FleetAgent): PrepareResult['was'] {
  const live = agent.orch.store.data.live;
  const release = live ? agent.orch.store.data.slots[live].release : null;
  return release ? { version: release.version, sha256: release.sha256, minCompatibleVersion: release.minCompatibleVersion } : null;
}

/** Drops stale preparations, keeps the archive while `run` prepares, and remembers the slot for the flip. */
async function prepareWith(agent: FleetAgent, request: PrepareRequest, run: () => Promise<PrepareResult>): Promise<PrepareResult> {
  await dropStale(agent, request.deployId);
  const was = serving(agent);
  agent.archivesInUse.add(request.sha256);
  try {
    const result = await run();
    agent.prepared.set(request.deployId, result.slot);
    return { ...result, was };
  } finally {
    agent.archivesInUse.delete(request.sha256);
  }
}

/** The prepare a coordinator asks of this node (POST /api/fleet/prepare): the archive is fetched from `from`. */
export function prepareHere(agent: FleetAgent, request: PrepareRequest, from: string): Promise<PrepareResult> {
  return prepareWith(agent, request, async () => prepareRelease(agent.orch, agent.name, await fetchArchive(agent.orch, request.sha256, from, agent.token), request));
}

/** A fleet flip back (POST /api/fleet/prepare-back): keep the slot that still runs the release, or redeploy its archive. */
export function prepareBackHere(agent: FleetAgent, request: PrepareRequest): Promise<PrepareResult> {
  return prepareWith(agent, request, () => prepareBack(agent.orch, agent.name, request, (sha256) => localArchive(agent.orch, sha256)));
}

/** What a late node needs to bring a release up: the fleet's release, or its canary. */
type Missed = Pick<FleetRelease, 'deployId' | 'sha256' | 'version' | 'minCompatibleVersion' | 'archiveFrom'>;

/** A node that missed the deploy or the canary's prepare (it was starting or away): fetch the archive from a peer (itself last) and prepare it. */
export async function bringUp(agent: FleetAgent, release: Missed): Promise<PrepareResult> {
  const own = agent.fleet.advertiseUrl;
  let lastError: unknown = new SlotswapError('operation_failed', 'no node keeps the archive');
  for (const url of release.archiveFrom.filter((u) => u !== own).concat(release.archiveFrom.filter((u) => u === own))) {
    try {
      const archive = await fetchArchive(agent.orch, release.sha256, url, agent.token);
      const request: PrepareRequest = { deployId: release.deployId, sha256: release.sha256, version: release.version, minCompatibleVersion: release.minCompatibleVersion, allowDowngrade: true, actor: `fleet:${agent.name}` };
      return await prepareRelease(agent.orch, agent.name, archive, request);
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}
