import { describe, expect, it } from 'vitest';
import { failureAnswer } from '../../src/proxy/failure-answer.js';

const instance = { label: 'a-2', port: 9002, timeouts: { headersTimeoutMs: 30_000 } };

describe('the answer to a forward that failed', () => {
  it('cuts the connection once the response headers were sent, whatever the failure', () => {
    expect(failureAnswer({ code: 'refused', detail: 'ECONNREFUSED' }, true, instance)).toEqual({ kind: 'cut' });
    expect(failureAnswer({ code: 'timeout', detail: 'UND_ERR_BODY_TIMEOUT' }, true, instance)).toEqual({ kind: 'cut' });
  });

  it('cuts the connection on a reset after the response began, even before our headers went out', () => {
    expect(failureAnswer({ code: 'reset-after-response', detail: 'ECONNRESET' }, false, instance)).toEqual({ kind: 'cut' });
  });

  it('answers 504 naming the instance, its port and its headers timeout when no headers came in time', () => {
    const answer = failureAnswer({ code: 'timeout', detail: 'UND_ERR_HEADERS_TIMEOUT' }, false, instance);
    expect(answer).toEqual({ kind: 'reply', status: 504, body: { error: 'gateway_timeout', message: 'instance a-2 (port 9002) sent no response headers within 30000 ms (UND_ERR_HEADERS_TIMEOUT); the request may still run there' } });
  });

  it('answers 502 naming the instance and the error for a refused or reset connection', () => {
    expect(failureAnswer({ code: 'refused', detail: 'ECONNREFUSED' }, false, instance)).toEqual({ kind: 'reply', status: 502, body: { error: 'bad_gateway', message: 'instance a-2 (port 9002) failed: ECONNREFUSED' } });
    expect(failureAnswer({ code: 'reset-before-response', detail: 'ECONNRESET' }, false, instance)).toMatchObject({ status: 502 });
  });

  it('says "the upstream instance" when the request held none', () => {
    expect(failureAnswer({ code: 'refused', detail: 'ECONNREFUSED' }, false, null)).toMatchObject({ status: 502, body: { message: 'the upstream instance failed: ECONNREFUSED' } });
    expect(failureAnswer({ code: 'timeout', detail: 'UND_ERR_HEADERS_TIMEOUT' }, false, null)).toMatchObject({ status: 504, body: { message: 'the upstream instance sent no response headers in time (UND_ERR_HEADERS_TIMEOUT); the request may still run there' } });
  });
});
