// POST /api/tls/reload: re-read the certificate files; a bad file answers 422 naming it, and the old certificate stays.
// POST /api/tls/renew: one ACME order now (an operator's forced renewal); a failure answers with the CA's error.
import type { Request, Response } from 'express';
import { SlotswapError } from '../errors.js';
import type { Orchestrator } from '../ops/orchestrator.js';
import { tlsFrontOf, type TlsFront } from '../tls/tls-front.js';

function frontOf(orch: Orchestrator): TlsFront {
  const front = tlsFrontOf(orch);
  if (!front) throw new SlotswapError('not_found', 'TLS is off: there are no certificates; set proxy.tls.certFile and keyFile, or proxy.tls.acme (docs/tls.md)');
  return front;
}

export function tlsReloadRoute(orch: Orchestrator): (req: Request, res: Response) => Promise<void> {
  return async (_req, res) => {
    res.json({ ok: true, certificates: await frontOf(orch).reload('tls reload') });
  };
}

export function tlsRenewRoute(orch: Orchestrator): (req: Request, res: Response) => Promise<void> {
  return async (_req, res) => {
    res.json({ ok: true, certificates: await frontOf(orch).renew() });
  };
}
