// Starting a slot (spawn -> healthy -> upstreams) and stopping it (unroutable -> in-flight done -> sockets closed -> SIGTERM).
import path from 'node:path';
import type { SlotName } from '../config/config-types.js';
import { Upstream, waitIdle } from '../proxy/upstream.js';
import type { ReleaseInfo } from '../state/state-types.js';
import type { Orchestrator } from './orchestrator.js';

export async function spawnSlot(orch: Orchestrator, slot: SlotName, release: ReleaseInfo, command?: string[]): Promise<number[]> {
  // A new start is a new chance: crash-loop marks and restart history belong to the processes before it.
  for (let i = 0; i < orch.config.instances; i++) {
    orch.crashLoops.delete(`${slot}-${i + 1}`);
    orch.restartTimes.delete(`${slot}-${i + 1}`);
  }
  const instances = await orch.supervisor.spawn({
    slot,
    release,
    // A hotswap executable runs from its own folder; a release from its slot folder.
    dir: orch.config.mode === 'hotswap' ? path.dirname(orch.config.hotswap.exeFile) : orch.config.slots[slot].dir,
    basePort: orch.config.slots[slot].port,
    ...(command ? { command } : {}),
  });
  return instances.map((i) => i.pid ?? 0);
}

/** Waits for health, then gives each instance its own upstream (agent, in-flight counter). */
export async function awaitSlotHealthy(orch: Orchestrator, slot: SlotName, release: ReleaseInfo, fast = false): Promise<string[]> {
  const bodies = await orch.supervisor.awaitHealthy(slot, release.health, fast);
  orch.upstreams[slot] = orch.supervisor.instances(slot).map((instance, index) => new Upstream(slot, index, instance.spec.port, instance.pid));
  return bodies;
}

/** Takes a slot's instances away from the proxy and stops them, without changing the slot's recorded state. */
export async function stopInstances(orch: Orchestrator, slot: SlotName): Promise<void> {
  for (const up of orch.upstreams[slot]) up.destroy();
  orch.upstreams[slot] = [];
  orch.publish(`slot ${slot} instances stopping`);
  await orch.supervisor.stop(slot, orch.config.drain.stopTimeoutMs);
}

/** Stops a slot the proxy no longer routes to; resolves once its processes are gone. */
export async function stopSlot(orch: Orchestrator, slot: SlotName): Promise<{ closedWebSockets: number; waitedMs: number }> {
  const { stopTimeoutMs } = orch.config.drain;
  const record = orch.store.data.slots[slot];
  if (record.state !== 'stopping') {
    await orch.store.setSlotState(slot, 'stopping');
    orch.publish(`slot ${slot} stopping`);
  }
  const started = Date.now();
  // Requests already inside finish first (bounded), so no response is cut off by the stop.
  await waitIdle(orch.upstreams[slot], stopTimeoutMs);
  let closedWebSockets = 0;
  for (const up of orch.upstreams[slot]) {
    closedWebSockets += up.closeWebSockets();
    up.destroy();
  }
  orch.upstreams[slot] = [];
  await orch.supervisor.stop(slot, stopTimeoutMs);
  await orch.store.setSlotState(slot, 'stopped');
  orch.publish(`slot ${slot} stopped`);
  return { closedWebSockets, waitedMs: Date.now() - started };
}
