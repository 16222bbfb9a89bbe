// What the client gets for a forward that failed and is not tried again: the connection cut once the answer had
// begun (nothing else can be said then), 504 when the instance sent no headers in time, 502 for anything else.
import type { ForwardFailure } from './engines/engine.js';

/** The instance that failed (the claim's Upstream), as the answer names it; null when the request never held one. */
export interface FailedInstance {
  readonly label: string;
  readonly port: number;
  readonly timeouts: { readonly headersTimeoutMs: number };
}

export type FailureAnswer = { kind: 'cut' } | { kind: 'reply'; status: 502 | 504; body: { error: 'bad_gateway' | 'gateway_timeout'; message: string } };

export function failureAnswer(failure: ForwardFailure, headersSent: boolean, instance: FailedInstance | null): FailureAnswer {
  // The backend died or went silent mid-response: cut the client off rather than leave it waiting.
  if (headersSent || failure.code === 'reset-after-response') return { kind: 'cut' };
  const where = instance ? `instance ${instance.label} (port ${instance.port})` : 'the upstream instance';
  if (failure.code === 'timeout') {
    const within = instance ? ` within ${instance.timeouts.headersTimeoutMs} ms` : ' in time';
    return { kind: 'reply', status: 504, body: { error: 'gateway_timeout', message: `${where} sent no response headers${within} (${failure.detail}); the request may still run there` } };
  }
  return { kind: 'reply', status: 502, body: { error: 'bad_gateway', message: `${where} failed: ${failure.detail}` } };
}
