// GET /_slotswap/ready on a fleet node's proxy: the load balancer's signal that the node serves the fleet's release.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FleetAgent } from './fleet-agent.js';

export const READY_PATH = '/_slotswap/ready';

/** Answered before any routing: 200 once the node serves the fleet's release with its settings, 503 with the reason. */
export function installReadyRoute(agent: FleetAgent): void {
  const proxy = agent.orch.proxy;
  if (!proxy) return;
  // A load balancer probes it over plain HTTP: it is answered ahead of the HTTPS redirect and ACME challenges.
  proxy.answerFirst((req: IncomingMessage, res: ServerResponse) => {
    if (req.url !== READY_PATH) return false;
    const reason = agent.readyReason;
    const body = JSON.stringify(reason ? { ready: false, node: agent.name, reason } : { ready: true, node: agent.name, version: agent.orch.liveVersion() });
    res.writeHead(reason ? 503 : 200, { 'content-type': 'application/json', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
    res.end(body);
    return true;
  }, true);
}
