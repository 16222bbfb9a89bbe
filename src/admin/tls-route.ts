// POST /api/tls/reload: re-read the certificate files; a bad file answers 422 naming it, and the old certificate stays.
import type { Request, Response } from 'express';
import { SlotswapError } from '../errors.js';
import type { Orchestrator } from '../ops/orchestrator.js';
import { httpsListenerOf } from '../tls/https-listener.js';

export function tlsReloadRoute(orch: Orchestrator): (req: Request, res: Response) => Promise<void> {
  return async (_req, res) => {
    const listener = httpsListenerOf(orch);
    if (!listener) throw new SlotswapError('not_found', 'TLS is off: there are no certificates to reload; set proxy.tls.certFile and keyFile (docs/tls.md)');
    res.json({ ok: true, certificates: await listener.reload() });
  };
}
