// slotswap_tls_certificate_expiry_seconds: when each served certificate expires (Unix time), by host, read at scrape.
import client from 'prom-client';
import { tlsFrontOf } from './tls-front.js';

export function registerTlsMetrics(registry: client.Registry, owner: object): void {
  new client.Gauge({
    name: 'slotswap_tls_certificate_expiry_seconds',
    help: 'Expiry of each served TLS certificate as Unix time in seconds, by host (alert on this minus time() below 14 days)',
    labelNames: ['host'],
    registers: [registry],
    collect() {
      this.reset();
      const front = tlsFrontOf(owner);
      if (!front?.listener.ready) return;
      for (const cert of front.listener.store.loaded) {
        const expiry = new Date(cert.validTo).getTime() / 1000;
        for (const host of cert.names.length > 0 ? cert.names : [cert.certFile]) this.labels(host).set(expiry);
      }
    },
  });
}
