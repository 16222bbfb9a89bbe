// GET /api/config: the config the running daemon works with (defaults applied, paths resolved), read-only, so that
// `slotswap config check` can say what a changed file would need. It holds paths, never a secret's value.
import type { Request, Response } from 'express';
import type { Orchestrator } from '../ops/orchestrator.js';

/** Keys whose value would be a secret itself (none today: the token and TLS keys are files): left out, should one appear. */
const SECRET = /password|secret|^token$|credentials/i;

function withoutSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutSecrets);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).filter(([key]) => !SECRET.test(key)).map(([key, inner]) => [key, withoutSecrets(inner)]));
}

export function configRoute(orch: Orchestrator): (req: Request, res: Response) => void {
  return (_req, res) => {
    res.json({ pid: process.pid, config: withoutSecrets(orch.config) });
  };
}
