import { describe, expect, it } from 'vitest';
import { headWithoutUpgrade } from '../../src/proxy/upgrade-fallback.js';

describe('upgrade fallback', () => {
  it('rebuilds an h2c upgrade request as plain HTTP/1.1, keeping every other header and close', () => {
    const head = headWithoutUpgrade('GET', '/x?y=1', '1.1', ['Host', 't', 'Connection', 'Upgrade, HTTP2-Settings, close', 'Upgrade', 'h2c', 'HTTP2-Settings', 'AAMA', 'Accept', '*/*']);
    expect(head.toString('latin1')).toBe('GET /x?y=1 HTTP/1.1\r\nHost: t\r\nAccept: */*\r\nConnection: close\r\n\r\n');
  });

  it('never drops the headers that frame the body, even when Connection names them', () => {
    const head = headWithoutUpgrade('POST', '/echo', '1.1', ['Host', 't', 'Connection', 'upgrade, content-length', 'Upgrade', 'foo', 'Content-Length', '5']);
    expect(head.toString('latin1')).toBe('POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\n');
  });
});
