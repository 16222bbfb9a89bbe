// GET /api/events: server-sent events of every state change and every step of a running operation.
import type { Request, Response } from 'express';
import type { Orchestrator } from '../ops/orchestrator.js';
import type { SlotswapEvent } from '../ops/operation-events.js';

/** A comment line now and then keeps proxies and browsers from closing an idle stream. */
const HEARTBEAT_MS = 15_000;

export function eventsRoute(orch: Orchestrator) {
  return (req: Request, res: Response): void => {
    res.status(200);
    res.setHeader('content-type', 'text/event-stream; charset=utf-8');
    res.setHeader('cache-control', 'no-store');
    res.setHeader('x-accel-buffering', 'no');
    res.flushHeaders();
    res.write(`retry: 1000\n\n`);
    let id = 0;
    const send = (event: SlotswapEvent) => {
      res.write(`id: ${++id}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
    };
    send({ type: 'state', at: new Date().toISOString(), reason: 'connected' });
    orch.events.on('event', send);
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
    req.on('close', () => {
      clearInterval(heartbeat);
      orch.events.off('event', send);
    });
  };
}
