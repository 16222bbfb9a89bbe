// The daemon's restart function, for the admin route (POST /api/restart); the daemon registers it once it serves.
import type { RestartResult } from './restart-daemon.js';

type RestartFn = (actor: string) => Promise<RestartResult>;
const registry = new WeakMap<object, RestartFn>();

export function registerRestart(owner: object, restart: RestartFn): void {
  registry.set(owner, restart);
}

export function restartOf(owner: object): RestartFn | null {
  return registry.get(owner) ?? null;
}
