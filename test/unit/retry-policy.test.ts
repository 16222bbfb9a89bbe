import http from 'node:http';
import { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { mayRetry, releaseClaim, type Claim } from '../../src/proxy/retry-policy.js';
import { Upstream } from '../../src/proxy/upstream.js';

function request(method: string, headers: Record<string, string> = {}): { req: http.IncomingMessage; res: http.ServerResponse } {
  const req = new http.IncomingMessage(new Socket());
  req.method = method;
  req.headers = headers;
  return { req, res: new http.ServerResponse(req) };
}

const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
const claim = (attempts = 1): Claim => ({ up: new Upstream('a', 0, 1, undefined), counted: true, url: '/', attempts });

describe('the retry policy', () => {
  it('retries a bodiless idempotent request refused or reset before any response byte', () => {
    for (const method of ['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']) {
      const { req, res } = request(method);
      expect(mayRetry(claim(), req, res, refused), method).toBe(true);
      expect(mayRetry(claim(), req, res, reset), method).toBe(true);
    }
  });

  it('stops after three attempts in all', () => {
    const { req, res } = request('GET');
    expect(mayRetry(claim(2), req, res, refused)).toBe(true);
    expect(mayRetry(claim(3), req, res, refused)).toBe(false);
  });

  it('never retries a POST, a request with a body, or one whose answer has begun', () => {
    expect(mayRetry(claim(), request('POST').req, request('POST').res, refused)).toBe(false);
    const withLength = request('PUT', { 'content-length': '5' });
    expect(mayRetry(claim(), withLength.req, withLength.res, refused)).toBe(false);
    const chunked = request('GET', { 'transfer-encoding': 'chunked' });
    expect(mayRetry(claim(), chunked.req, chunked.res, refused)).toBe(false);
    const begun = request('GET');
    begun.res.writeHead(200);
    expect(mayRetry(claim(), begun.req, begun.res, refused)).toBe(false);
  });

  it('never retries other errors (a time-out may have reached the app)', () => {
    const { req, res } = request('GET');
    expect(mayRetry(claim(), req, res, Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' }))).toBe(false);
    expect(mayRetry(claim(), req, res, new Error('no code'))).toBe(false);
  });

  it('takes a request off its upstream once, however often it is released', () => {
    const c = claim();
    c.up.inFlight = 1;
    releaseClaim(c);
    releaseClaim(c);
    expect(c.up.inFlight).toBe(0);
    c.up.destroy();
  });
});
