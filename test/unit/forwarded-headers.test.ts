import { describe, expect, it } from 'vitest';
import { connectionListed, dropForwardedAliases, isForwardedAlias } from '../../src/proxy/forwarded-headers.js';

describe('the headers a client names in Connection', () => {
  it('are none for the usual keep-alive and close', () => {
    expect(connectionListed(undefined)).toBeNull();
    expect(connectionListed('keep-alive')).toBeNull();
    expect(connectionListed('Keep-Alive, Close')).toBeNull();
  });

  it('are the names it lists, lower-cased', () => {
    expect([...connectionListed('close, X-Secret,  Cookie')!]).toEqual(['x-secret', 'cookie']);
    expect([...connectionListed(['x-a', 'x-b'])!]).toEqual(['x-a', 'x-b']);
  });

  it('never include what the proxy sets itself or what frames the body', () => {
    expect(connectionListed('X-Forwarded-For, Host, Content-Length, x-forwarded-proto, forwarded')).toBeNull();
  });
});

describe('an underscore spelling of a forwarded header', () => {
  it('is one when it reads as a header the proxy sets or drops', () => {
    expect(isForwardedAlias('x_forwarded_for')).toBe(true);
    expect(isForwardedAlias('x-forwarded_proto')).toBe(true);
    expect(isForwardedAlias('x_real_ip')).toBe(true);
  });

  it('is not one for other names, with or without underscores', () => {
    expect(isForwardedAlias('x-forwarded-for')).toBe(false);
    expect(isForwardedAlias('x_custom_thing')).toBe(false);
    expect(isForwardedAlias('accept')).toBe(false);
  });
});

describe('the headers a WebSocket upgrade takes to the instance', () => {
  it('lose what a client claims in a front proxy\'s name, and its underscore spellings, and keep the rest', () => {
    const headers: Record<string, string> = { 'x-forwarded-scheme': 'https', 'client-ip': '6.6.6.6', 'x-original-url': '/admin', x_forwarded_for: '6.6.6.6', 'x-custom': 'kept', 'sec-websocket-key': 'k' };
    dropForwardedAliases(headers);
    expect(headers).toEqual({ 'x-custom': 'kept', 'sec-websocket-key': 'k' });
  });
});
