// POST /api/restart: a new daemon from the code on disk takes over the sockets and instances; answered once it serves.
import type { Request, Response } from 'express';
import { SlotswapError } from '../errors.js';
import type { Orchestrator } from '../ops/orchestrator.js';
import { restartOf } from '../restart/restart-registry.js';

export function restartRoute(orch: Orchestrator, actor: (req: Request) => string): (req: Request, res: Response) => Promise<void> {
  return async (req, res) => {
    const restart = restartOf(orch);
    if (!restart) throw new SlotswapError('conflict', 'the daemon is still starting; retry slotswap restart once slotswap status answers');
    res.json({ ok: true, ...(await restart(actor(req))) });
  };
}
