import { describe, expect, it } from 'vitest';
import { hostHeaderCount, originForm, splitAbsoluteForm, targetAnswer } from '../../src/proxy/request-target.js';

describe('request target', () => {
  it('leaves an origin-form target alone', () => {
    expect(splitAbsoluteForm('/AppRun.json?x=1')).toBeNull();
    expect(originForm('/x')).toBe('/x');
  });

  it('splits an absolute-form target into its path and its authority', () => {
    expect(splitAbsoluteForm('http://api.test:8080/_slots/b/x?y=1')).toEqual({ path: '/_slots/b/x?y=1', authority: 'api.test:8080' });
    expect(splitAbsoluteForm('HTTP://h')).toEqual({ path: '/', authority: 'h' });
    expect(splitAbsoluteForm('http://h?q')).toEqual({ path: '/?q', authority: 'h' });
    expect(splitAbsoluteForm('http://user@h/x')).toEqual({ path: '/x', authority: 'h' });
  });

  it('does not take an asterisk or an authority-form target for a URL', () => {
    expect(splitAbsoluteForm('*')).toBeNull();
    expect(splitAbsoluteForm('example.com:443')).toBeNull();
  });

  it('counts every Host line, whatever its case', () => {
    expect(hostHeaderCount(['Host', 'a', 'Accept', '*/*', 'HOST', 'b'])).toBe(2);
    expect(hostHeaderCount(['host', 'a'])).toBe(1);
  });

  it('routes a request with one Host, and an HTTP/1.0 one with none', () => {
    expect(targetAnswer('GET', '/x', '1.1', ['Host', 'a'])).toBeNull();
    expect(targetAnswer('GET', '/x', '1.0', [])).toBeNull();
  });

  it('refuses an HTTP/1.1 request without Host, or with two, and closes its connection', () => {
    expect(targetAnswer('GET', '/x', '1.1', [])).toMatchObject({ status: 400, close: true, body: { error: 'bad_request' } });
    expect(targetAnswer('GET', '/x', '1.1', ['Host', 'a', 'host', 'b'])?.body?.message).toContain('more than one Host');
  });

  it('answers OPTIONS * itself and refuses the asterisk with any other method', () => {
    expect(targetAnswer('OPTIONS', '*', '1.1', ['Host', 'a'])).toEqual({ status: 204, body: null, close: false });
    expect(targetAnswer('GET', '*', '1.1', ['Host', 'a'])).toMatchObject({ status: 400, body: { message: expect.stringContaining('"*" is for OPTIONS only') } });
    expect(targetAnswer('OPTIONS', '*x', '1.1', ['Host', 'a'])).toBeNull();
  });
});
