// How many places the admission gate gives out this epoch, between a floor and proxy.maxActiveRequests. While
// connections wait for a place, the event loop says why: a busy loop means the daemon itself is the bottleneck, and
// more requests at once only add garbage and cache misses (measured: 256 places at 1,000 clients cost 30-40 % more CPU
// per request than 32); a loop with time to spare means the requests are waiting on the instances (a slow backend),
// so more places carry more requests. Nobody waiting: the places are not what limits anything, they stay as they are.
import { PROXY_PLACES_BUSY_UTILIZATION, PROXY_PLACES_SPARE_UTILIZATION } from '../defaults.js';

/** Narrowing is gentle (a busy epoch can be a burst), widening quick (a slow backend's clients should not wait long). */
const NARROW_FACTOR = 0.8;
const WIDEN_FACTOR = 1.5;

export interface EpochFacts {
  /** The event loop's utilization over the epoch, 0..1 (perf_hooks' eventLoopUtilization). */
  utilization: number;
  /** Whether a connection waited for a place during the epoch, or still waits. */
  pressed: boolean;
}

/** The places for the next epoch: `floor` <= result <= `ceiling`. */
export function nextPlaces(places: number, epoch: EpochFacts, floor: number, ceiling: number): number {
  if (!epoch.pressed) return places;
  if (epoch.utilization >= PROXY_PLACES_BUSY_UTILIZATION) return Math.max(floor, Math.floor(places * NARROW_FACTOR));
  if (epoch.utilization < PROXY_PLACES_SPARE_UTILIZATION) return Math.min(ceiling, Math.ceil(places * WIDEN_FACTOR));
  return places;
}
