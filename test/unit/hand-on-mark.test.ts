// The mark of a held request handed on at a restart: only the right HMAC of the admin token makes the new daemon keep
// the client's X-Forwarded-For/-Proto and first arrival time; the header never reaches the app.
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { acceptHandedOn, HANDED_ON_HEADER, handedOnOf, handOnMark, prepareForwarding } from '../../src/proxy/forwarded-headers.js';
import type { ForwardDecision } from '../../src/proxy/routing-snapshot.js';

function fakeRequest(headers: Record<string, string>): IncomingMessage {
  return { headers: { ...headers }, socket: { remoteAddress: '127.0.0.1' }, url: '/x' } as unknown as IncomingMessage;
}

const decision = { stripPrefix: null } as unknown as ForwardDecision;
const mark = handOnMark('the admin token');

describe('the hand-on mark', () => {
  it('keeps the forwarded client address, scheme and arrival time of a request with the right mark, and strips the mark', () => {
    const req = fakeRequest({ [HANDED_ON_HEADER]: `${mark} 1000`, 'x-forwarded-for': '198.51.100.7', 'x-forwarded-proto': 'https', host: 'example.test' });
    acceptHandedOn(req, mark, 5_000);
    expect(handedOnOf(req)).toEqual({ since: 1000, forwardedFor: '198.51.100.7', forwardedProto: 'https' });
    prepareForwarding(req, decision);
    expect(req.headers).toEqual({ 'x-forwarded-for': '198.51.100.7', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'example.test', host: 'example.test' });
  });

  it('trusts nothing of a request with a wrong or a missing mark, and still strips the header', () => {
    // The last: a byte beyond ASCII in a mark of the right length (it threw, and crashed the daemon).
    for (const value of [`${handOnMark('another token')} 1000`, '1000', '', `\u00e9${mark.slice(1)} 1000`]) {
      const req = fakeRequest({ [HANDED_ON_HEADER]: value, 'x-forwarded-for': '198.51.100.7' });
      acceptHandedOn(req, mark, 5_000);
      expect(handedOnOf(req)).toBeUndefined();
      prepareForwarding(req, decision);
      expect(req.headers[HANDED_ON_HEADER]).toBeUndefined();
      expect(req.headers['x-forwarded-for']).toBe('127.0.0.1');
    }
  });

  it('takes an arrival time from the future or none as now', () => {
    for (const since of ['9000', 'soon']) {
      const req = fakeRequest({ [HANDED_ON_HEADER]: `${mark} ${since}` });
      acceptHandedOn(req, mark, 5_000);
      expect(handedOnOf(req)?.since).toBe(5_000);
    }
  });
});
