// GET /metrics: Prometheus text via prom-client. Values are read at scrape time, so the proxy's hot path only adds to plain counters.
import client from 'prom-client';
import { SLOT_NAMES } from '../config/config-types.js';
import type { Orchestrator } from '../ops/orchestrator.js';
import type { AuthFailures } from './auth-failures.js';
import { registerTlsMetrics } from '../tls/tls-metrics.js';
import { registerRequestMetrics } from './request-metrics.js';

const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'];

export function createMetrics(orch: Orchestrator, authFailures?: AuthFailures): client.Registry {
  const registry = new client.Registry();
  const proxy = () => orch.proxy;
  registerTlsMetrics(registry, orch);

  new client.Counter({
    name: 'slotswap_admin_auth_failures_total',
    help: 'Admin API and /metrics requests refused with 401 (missing or wrong token); they are not written to the audit log',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(authFailures?.total ?? 0);
    },
  });

  new client.Counter({
    name: 'slotswap_requests_total',
    help: 'Requests answered, by who answered (slot a, b, or the proxy itself) and status class',
    labelNames: ['slot', 'status_class'],
    registers: [registry],
    collect() {
      const counts = proxy()?.statusCounts;
      if (!counts) return;
      // The proxy keeps plain running totals; a counter set from them at scrape time still only goes up.
      this.reset();
      for (const slot of ['a', 'b', 'proxy'] as const) STATUS_CLASSES.forEach((cls, i) => this.labels(slot, cls).inc(counts[slot][i + 1]!));
    },
  });
  new client.Gauge({
    name: 'slotswap_in_flight_requests',
    help: 'Requests (and open WebSockets) in flight, by slot',
    labelNames: ['slot'],
    registers: [registry],
    collect() {
      for (const slot of SLOT_NAMES) this.labels(slot).set(orch.busy(slot));
    },
  });
  new client.Gauge({
    name: 'slotswap_websockets_open',
    help: 'Open WebSockets, by slot (a draining slot\'s get close 1001 at drain.websocketGraceMs or the drain deadline)',
    labelNames: ['slot'],
    registers: [registry],
    collect() {
      for (const slot of SLOT_NAMES) this.labels(slot).set(orch.runtime.webSockets(slot));
    },
  });
  new client.Gauge({
    name: 'slotswap_maintenance',
    help: '1 while maintenance mode is on (public requests answered 503), 0 otherwise',
    registers: [registry],
    collect() {
      this.set(orch.store.data.maintenance ? 1 : 0);
    },
  });
  new client.Gauge({
    name: 'slotswap_slot_live',
    help: '1 for the live slot, 0 otherwise',
    labelNames: ['slot'],
    registers: [registry],
    collect() {
      for (const slot of SLOT_NAMES) this.labels(slot).set(orch.store.data.live === slot ? 1 : 0);
    },
  });
  const flips = new client.Counter({ name: 'slotswap_flips_total', help: 'Flips of the live slot (deploys, manual flips, rollbacks)', registers: [registry] });
  new client.Counter({
    name: 'slotswap_holds_total',
    help: 'Times requests were put on hold (operator hold, hotswap, in-place deploy)',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(proxy()?.holdStats().holdsTotal ?? 0);
    },
  });
  new client.Gauge({
    name: 'slotswap_held_requests',
    help: 'Requests waiting in the hold queue now',
    registers: [registry],
    collect() {
      this.set(proxy()?.holdStats().queued ?? 0);
    },
  });
  new client.Gauge({
    name: 'slotswap_proxy_active_requests',
    help: 'Places of proxy.maxActiveRequests taken now (requests being worked on, connections just let in)',
    registers: [registry],
    collect() {
      this.set(proxy()?.admissionStats()?.admitted ?? 0);
    },
  });
  new client.Gauge({
    name: 'slotswap_proxy_admission_places',
    help: 'Places the admission gate gives out now: fewer than proxy.maxActiveRequests while the event loop is the bottleneck',
    registers: [registry],
    collect() {
      this.set(proxy()?.admissionStats()?.places ?? 0);
    },
  });
  new client.Gauge({
    name: 'slotswap_proxy_waiting_connections',
    help: 'Keep-alive connections not read now because every place of proxy.maxActiveRequests is taken',
    registers: [registry],
    collect() {
      this.set(proxy()?.admissionStats()?.waitingConnections ?? 0);
    },
  });
  new client.Counter({
    name: 'slotswap_proxy_admission_waits_total',
    help: 'Times a connection waited for a place of proxy.maxActiveRequests before it was read again',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(proxy()?.admissionStats()?.waits ?? 0);
    },
  });
  new client.Counter({
    name: 'slotswap_queued_requests_total',
    help: 'Requests that waited in the hold queue',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(proxy()?.holdStats().queuedTotal ?? 0);
    },
  });
  new client.Counter({
    name: 'slotswap_instance_restarts_total',
    help: 'Instances restarted after they exited unexpectedly, by slot',
    labelNames: ['slot'],
    registers: [registry],
    collect() {
      this.reset();
      for (const slot of SLOT_NAMES) this.labels(slot).inc(orch.restarts[slot]);
    },
  });
  const steps = new client.Histogram({
    name: 'slotswap_operation_step_seconds',
    help: 'Duration of each step of an operation (deploy, flip, rollback, hotswap)',
    labelNames: ['op', 'step', 'outcome'],
    buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [registry],
  });
  orch.events.on('event', (event) => {
    if (event.type !== 'step' || event.phase === 'begin') return;
    steps.labels(event.op, event.step, event.phase === 'end' ? 'ok' : 'failed').observe((event.ms ?? 0) / 1000);
    if (event.step === 'flip' && event.phase === 'end') flips.inc();
  });
  registerRequestMetrics(registry, orch);
  client.collectDefaultMetrics({ register: registry, prefix: 'slotswap_daemon_' });
  // prom-client names these gauges *_total, which promtool refuses for a non-counter; slotswap_daemon_nodejs_active_resources (by type) stays.
  for (const name of ['active_handles_total', 'active_requests_total', 'active_resources_total']) registry.removeSingleMetric(`slotswap_daemon_nodejs_${name}`);
  return registry;
}
