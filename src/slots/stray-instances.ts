// Instances nobody recorded: a daemon killed between spawning an instance and writing its pid leaves a process that
// no pid file names, holding the slot's port. They are found by what only this daemon's instances have together: a
// working directory in a slot's folder (or its renamed copy) and that slot's SLOTSWAP_SLOT and PORT in the environment.
import { readdir, readFile, readlink } from 'node:fs/promises';
import type { SlotName } from '../config/config-types.js';
import { statOf, stopGroup } from './process-group.js';

export interface SlotIdentity {
  slot: SlotName;
  dir: string;
  ports: readonly number[];
}

/** Whether `cwd` is the slot's folder, inside it, or a renamed copy of it (a place step retires the old folder). */
function inSlotFolder(cwd: string, dir: string): boolean {
  const path = cwd.endsWith(' (deleted)') ? cwd.slice(0, -' (deleted)'.length) : cwd;
  return path === dir || path.startsWith(`${dir}/`) || path.startsWith(`${dir}.retired-`) || path.startsWith(`${dir}.incoming-`);
}

async function strayOf(pid: number, slots: readonly SlotIdentity[]): Promise<{ slot: SlotName; pgid: number } | null> {
  const cwd = await readlink(`/proc/${pid}/cwd`).catch(() => null);
  if (cwd === null) return null;
  const slot = slots.find((s) => inSlotFolder(cwd, s.dir));
  if (!slot) return null;
  const env = (await readFile(`/proc/${pid}/environ`, 'utf8').catch(() => '')).split('\0');
  if (!env.includes(`SLOTSWAP_SLOT=${slot.slot}`) || !slot.ports.some((port) => env.includes(`PORT=${port}`))) return null;
  const stat = await statOf(pid);
  return stat && stat.state !== 'Z' ? { slot: slot.slot, pgid: stat.pgrp } : null;
}

/** Stops (by process group) every stray instance of these slots whose group is not kept; returns what it stopped. */
export async function reapStrayInstances(slots: readonly SlotIdentity[], keptGroups: ReadonlySet<number>, stopTimeoutMs: number): Promise<string[]> {
  const groups = new Map<number, { slot: SlotName; pids: number[] }>();
  for (const name of await readdir('/proc').catch(() => [] as string[])) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    const stray = await strayOf(pid, slots);
    if (!stray || keptGroups.has(stray.pgid) || stray.pgid === process.pid || stray.pgid <= 1) continue;
    const group = groups.get(stray.pgid) ?? { slot: stray.slot, pids: [] };
    group.pids.push(pid);
    groups.set(stray.pgid, group);
  }
  const stopped: string[] = [];
  for (const [pgid, group] of groups) {
    await stopGroup(pgid, stopTimeoutMs);
    stopped.push(`a stray instance of slot ${group.slot} (process group ${pgid}: pids ${group.pids.join(', ')}), recorded nowhere`);
  }
  return stopped;
}
