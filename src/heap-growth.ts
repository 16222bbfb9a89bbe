// How far the daemon's heap may grow between full GCs: V8's --heap-growing-percent, set once at start-up so it holds
// however the daemon was started (npm start, the slotswap command, a service unit, a seamless restart).
// Young-generation size (--max-semi-space-size) cannot change after start: it stays on the command line.
import v8 from 'node:v8';
import { DAEMON_HEAP_GROWING_PERCENT } from './defaults.js';

const FLAG = '--heap-growing-percent';

/** The flag to set, or null when the operator gave their own (on node's command line or in NODE_OPTIONS). */
export function heapGrowthFlag(execArgv: readonly string[], nodeOptions: string | undefined): string | null {
  const given = [...execArgv, ...(nodeOptions ?? '').split(/\s+/)].some((a) => a === FLAG || a.startsWith(`${FLAG}=`) || a.startsWith('--heap_growing_percent'));
  return given ? null : `${FLAG}=${DAEMON_HEAP_GROWING_PERCENT}`;
}

export function limitHeapGrowth(): void {
  const flag = heapGrowthFlag(process.execArgv, process.env.NODE_OPTIONS);
  if (flag !== null) v8.setFlagsFromString(flag);
}
