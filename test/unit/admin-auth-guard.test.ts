import { describe, expect, it } from 'vitest';
import { needsToken } from '../../src/admin/auth.js';

describe('which admin paths need the token before express sees them', () => {
  it('guards every /api route and /metrics, with or without a query', () => {
    for (const url of ['/api', '/api/', '/api/status', '/api/deploy?sha256=x', '/api?x', '/metrics', '/metrics?x=1', '/metrics/']) expect(needsToken(url), url).toBe(true);
  });

  it('lets the page files through, and paths that only look alike (express still guards what it routes)', () => {
    for (const url of ['/', '/index.html', '/app.js', '/apis', '/metricsx', undefined]) expect(needsToken(url), String(url)).toBe(false);
  });
});
