import { describe, expect, it } from 'vitest';
import { derivePublicUrl, portOfUrl, publicUrlPortWarning } from '../../src/config/public-url.js';

describe('the derived public URL', () => {
  it('is localhost for every interface and for loopback', () => {
    for (const host of ['0.0.0.0', '::', '127.0.0.1', '::1', 'localhost']) expect(derivePublicUrl(host, 8090)).toBe('http://localhost:8090');
  });

  it('is the host itself for one other address, IPv6 in brackets', () => {
    expect(derivePublicUrl('10.0.0.5', 8080)).toBe('http://10.0.0.5:8080');
    expect(derivePublicUrl('fd00::5', 8080)).toBe('http://[fd00::5]:8080');
  });
});

describe('the publicUrl port check', () => {
  it('takes the scheme default when the URL names no port', () => {
    expect(portOfUrl('https://example.com')).toBe(443);
    expect(portOfUrl('http://example.com')).toBe(80);
    expect(portOfUrl('http://localhost:8080/app')).toBe(8080);
  });

  it('says nothing when the URL reaches the proxy port', () => {
    expect(publicUrlPortWarning('http://localhost:8090', 8090)).toBeNull();
  });

  it('names both ports, in one line, when they differ', () => {
    const warning = publicUrlPortWarning('http://localhost:8080', 8090)!;
    expect(warning).toContain('port 8080');
    expect(warning).toContain('port 8090');
    expect(warning).not.toContain('\n');
  });

  it('warns, without throwing, when publicUrl cannot be parsed', () => {
    expect(publicUrlPortWarning('http://[oops', 8090)).toContain('not a URL');
  });
});
