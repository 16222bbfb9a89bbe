// The per-slot request metrics, rendered at scrape time from the proxy's own counts (proxy/request-meter.ts): the hot
// path writes typed arrays; prom-client's label children would allocate a label object and a hash string per answer.
import type client from 'prom-client';
import type { Orchestrator } from '../ops/orchestrator.js';
import { DURATION_BUCKETS_S } from '../proxy/request-meter.js';

const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'];

interface Value {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

/** A metric prom-client's registry renders like its own (it only calls get()). */
function scraped(name: string, help: string, type: 'histogram' | 'counter' | 'gauge', values: () => Value[]): client.Metric {
  return { name, help, type, get: async () => ({ name, help, type, values: values(), aggregator: 'sum' }) } as unknown as client.Metric;
}

export function registerRequestMetrics(registry: client.Registry, orch: Orchestrator): void {
  const kept = () => orch.proxy?.meter.kept() ?? [];
  registry.registerMetric(
    scraped('slotswap_request_duration_seconds', 'Time from forwarding a request to its answer closing, by slot and release version', 'histogram', () => {
      const values: Value[] = [];
      for (const c of kept()) {
        let cumulative = 0;
        DURATION_BUCKETS_S.forEach((le, i) => {
          cumulative += c.buckets[i]!;
          values.push({ metricName: 'slotswap_request_duration_seconds_bucket', labels: { slot: c.slot, version: c.version, le }, value: cumulative });
        });
        values.push({ metricName: 'slotswap_request_duration_seconds_bucket', labels: { slot: c.slot, version: c.version, le: '+Inf' }, value: c.count });
        values.push({ metricName: 'slotswap_request_duration_seconds_sum', labels: { slot: c.slot, version: c.version }, value: c.sumSeconds });
        values.push({ metricName: 'slotswap_request_duration_seconds_count', labels: { slot: c.slot, version: c.version }, value: c.count });
      }
      return values;
    }),
  );
  registry.registerMetric(
    scraped('slotswap_slot_answers_total', "Answers to requests forwarded to a slot (its own, and the proxy's 502/504 for it), by slot, release version and status class", 'counter', () =>
      kept().flatMap((c) => STATUS_CLASSES.map((cls, i) => ({ labels: { slot: c.slot, version: c.version, status_class: cls }, value: c.classes[i + 1]! }))),
    ),
  );
  registry.registerMetric(
    scraped('slotswap_canary_weight', 'Percentage (0-100) of new clients a running canary takes, by canary slot; 0 when none runs', 'gauge', () => {
      const canary = orch.store.data.canary;
      return (['a', 'b'] as const).map((slot) => ({ labels: { slot }, value: canary && canary.slot === slot && orch.store.data.slots[slot].state === 'ready' ? canary.weight : 0 }));
    }),
  );
}
