// What a changed config key needs, against the running daemon's config: `slotswap restart` applies it, or it needs a stop
// and start (what restart refuses: a moved listener, instances it cannot adopt as they run), or it is used only by the
// next deploy. Pure: `slotswap config check` feeds it both configs and which slots run instances now.
import type { SlotName } from '../config/config-types.js';

export type Applies = 'restart' | 'stop-start' | 'next-deploy';

export interface ConfigChange {
  key: string;
  from: unknown;
  to: unknown;
  applies: Applies;
  why: string;
}

/** The slots whose instances a restart keeps (the live one, one draining): their port, dir and count cannot change. */
export type KeptSlots = ReadonlySet<SlotName>;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Leaf values by dotted key (arrays are leaves). */
function flatten(value: unknown, prefix: string, out: Map<string, unknown>): Map<string, unknown> {
  if (isObject(value)) for (const [key, inner] of Object.entries(value)) flatten(inner, prefix ? `${prefix}.${key}` : key, out);
  else out.set(prefix, value);
  return out;
}

const LISTENERS = new Set(['proxy.host', 'proxy.port', 'admin.host', 'admin.port']);
const MOVE = 'slotswap restart hands the listening socket over as it is bound, so it cannot move it (restart refuses it)';

/** The verdict on one changed key; tlsOnBoth: TLS was on and stays on (only then is proxy.tls.port a moved listener). */
function verdict(key: string, kept: KeptSlots, tlsOnBoth: boolean): { applies: Applies; why: string } {
  if (LISTENERS.has(key) || (key === 'proxy.tls.port' && tlsOnBoth)) return { applies: 'stop-start', why: MOVE };
  const slotKey = /^slots\.(a|b)\.(port|dir)$/.exec(key);
  if (slotKey) {
    const slot = slotKey[1] as SlotName;
    if (kept.has(slot) && slotKey[2] === 'port') return { applies: 'stop-start', why: `slot ${slot} runs instances on that port now; a restart keeps them as they run, so it refuses a new port` };
    // Not refused by restart (adoption checks pids and ports), but the kept instances would run in a folder the daemon no longer names.
    if (kept.has(slot)) return { applies: 'stop-start', why: `slot ${slot} runs instances from that folder now; a restart would keep them there while the daemon looks in the new one` };
    return { applies: 'next-deploy', why: `slot ${slot} runs nothing now: the next deploy to it starts its instances there (after slotswap restart)` };
  }
  if (key === 'instances') {
    if (kept.size > 0) return { applies: 'stop-start', why: `slot ${[...kept].join(', ')} runs its instances now; a restart adopts them only as many as they are` };
    return { applies: 'next-deploy', why: 'no slot runs instances now: the next deploy starts this many (after slotswap restart)' };
  }
  if (key === 'stateFile') return { applies: 'stop-start', why: 'the running instances are recorded in the state file the daemon uses now; a new daemon on another one would not find them' };
  if (key.startsWith('hotswap.')) return { applies: 'next-deploy', why: 'used by the next hotswap (after slotswap restart); the running process is kept as it is' };
  if (key === 'bootstrap') return { applies: 'next-deploy', why: 'used only by a start with nothing live; the live release stays' };
  if (key === 'releasesDir' || key === 'keepReleases') return { applies: 'next-deploy', why: 'used when the next release is stored and old ones pruned (after slotswap restart)' };
  return { applies: 'restart', why: 'the new daemon reads it on slotswap restart' };
}

export interface CompareInput {
  running: Json;
  file: Json;
  kept: KeptSlots;
  tlsOnBoth: boolean;
  /** Keys not compared (a value the daemon derived from what it bound, e.g. proxy.publicUrl with port 0). */
  ignore?: ReadonlySet<string>;
}

/** The keys whose values differ (added and removed keys included), in the file's key order, then removed ones. */
export function compareConfigs(input: CompareInput): ConfigChange[] {
  const before = flatten(input.running, '', new Map());
  const after = flatten(input.file, '', new Map());
  const keys = [...after.keys(), ...[...before.keys()].filter((key) => !after.has(key))];
  const changes: ConfigChange[] = [];
  for (const key of keys) {
    if (key === 'file' || input.ignore?.has(key)) continue;
    const from = before.get(key);
    const to = after.get(key);
    if (JSON.stringify(from) === JSON.stringify(to)) continue;
    changes.push({ key, from: from ?? null, to: to ?? null, ...verdict(key, input.kept, input.tlsOnBoth) });
  }
  return changes;
}

export function describeVerdict(applies: Applies): string {
  return applies === 'restart' ? 'applies on slotswap restart' : applies === 'stop-start' ? 'needs a stop and start' : 'applies to the next deploy';
}
