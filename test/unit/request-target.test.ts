import { describe, expect, it } from 'vitest';
import { hostHeaderCount, originForm, splitAbsoluteForm } from '../../src/proxy/request-target.js';

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
});
