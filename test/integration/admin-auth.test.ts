import { stat } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startDaemon, type TestDaemon } from '../helpers/test-daemon.js';
import { request } from '../helpers/http-client.js';

const ROUTES: { method: string; path: string }[] = [
  { method: 'GET', path: '/api/status' },
  { method: 'POST', path: '/api/deploy' },
  { method: 'POST', path: '/api/flip' },
  { method: 'GET', path: '/api/whatever' },
  { method: 'POST', path: '/api/whatever' },
  { method: 'GET', path: '/metrics' },
];

/** Each way of not being authorised, and the secret-looking value it sends (which must never be echoed back). */
function badCredentials(realToken: string): { name: string; headers: Record<string, string>; sent: string | null }[] {
  const wrong = 'f'.repeat(64) === realToken ? 'e'.repeat(64) : 'f'.repeat(64);
  return [
    { name: 'no Authorization header', headers: {}, sent: null },
    { name: 'a wrong Bearer token', headers: { authorization: `Bearer ${wrong}` }, sent: wrong },
    { name: 'an empty Bearer token', headers: { authorization: 'Bearer ' }, sent: null },
    { name: 'the right token with the Basic scheme', headers: { authorization: `Basic ${realToken}` }, sent: realToken },
    { name: 'the right token without any scheme', headers: { authorization: realToken }, sent: realToken },
    { name: 'a Token scheme', headers: { authorization: `Token ${realToken}x` }, sent: `${realToken}x` },
  ];
}

describe('admin API authorisation', () => {
  let daemon: TestDaemon;

  it('answers 401 with a JSON error on every /api route and /metrics without a token, with a wrong one or with a non-Bearer scheme, and never repeats what was sent', { timeout: 60_000 }, async () => {
    daemon = await startDaemon();
    const liveBefore = (await daemon.status()).live;
    for (const route of ROUTES) {
      for (const credentials of badCredentials(daemon.token)) {
        const body = route.method === 'POST' ? '{"version":"9.9.9"}' : undefined;
        const answer = await request(`${daemon.adminUrl}${route.path}`, {
          method: route.method,
          headers: { ...credentials.headers, ...(body ? { 'content-type': 'application/json' } : {}) },
          ...(body ? { body } : {}),
        });
        const what = `${route.method} ${route.path} with ${credentials.name}`;
        expect(answer.status, what).toBe(401);
        expect(answer.headers['content-type'], what).toMatch(/^application\/json/);
        const json = JSON.parse(answer.body) as { error?: unknown; message?: unknown };
        expect(json.error, what).toBe('unauthorized');
        expect(typeof json.message, what).toBe('string');
        expect((json.message as string).length, what).toBeGreaterThan(0);
        if (credentials.sent) expect(answer.body, what).not.toContain(credentials.sent);
        // The real token never leaks either, whatever was sent.
        expect(answer.body, what).not.toContain(daemon.token);
      }
    }
    // Neither the token sent nor the real one ends up in the daemon's log.
    for (const credentials of badCredentials(daemon.token)) if (credentials.sent && credentials.sent !== daemon.token) expect(daemon.output()).not.toContain(credentials.sent);
    expect(daemon.output()).not.toContain(daemon.token);
    // Nothing an unauthorised caller sent had any effect.
    const after = await daemon.status();
    expect(after.live).toBe(liveBefore);
    expect(after.slots.b.state).not.toBe('running');
  });

  it('creates the token file with mode 0600 holding 64 hex characters', async () => {
    daemon = await startDaemon();
    const tokenFile = path.join(daemon.dir, 'state/admin.token');
    const info = await stat(tokenFile);
    expect((info.mode & 0o777).toString(8)).toBe((0o600).toString(8));
    expect(daemon.token).toMatch(/^[0-9a-f]{64}$/);
  });

  it('answers 200 on /api/status with the right Bearer token', async () => {
    daemon = await startDaemon();
    const answer = await request(`${daemon.adminUrl}/api/status`, { headers: { authorization: `Bearer ${daemon.token}` } });
    expect(answer.status).toBe(200);
    const json = JSON.parse(answer.body) as { live?: unknown; slots?: unknown };
    expect(json.live).toBe('a');
    expect(json.slots).toBeTypeOf('object');
  });

  it('makes `slotswap status --token wrong` exit with code 3 and a message that does not repeat the token', async () => {
    daemon = await startDaemon();
    const wrong = await daemon.cli(['status', '--token', 'wrong-token-value'], 30_000);
    expect(wrong.code, wrong.stderr + wrong.stdout).toBe(3);
    expect(wrong.stderr).toMatch(/token/i);
    expect(wrong.stderr + wrong.stdout).not.toContain('wrong-token-value');
    // And the same command with the token from the token file works.
    const right = await daemon.cli(['status'], 30_000);
    expect(right.code, right.stderr + right.stdout).toBe(0);
  });
});
