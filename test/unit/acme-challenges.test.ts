import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { AcmeChallenges } from '../../src/tls/acme-challenges.js';

let server: http.Server | null = null;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

async function serve(challenges: AcmeChallenges): Promise<number> {
  server = http.createServer((req, res) => {
    if (!challenges.answer(req, res)) res.writeHead(404).end('to the app');
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', () => resolve()));
  return (server.address() as { port: number }).port;
}

async function get(port: number, target: string, method = 'GET'): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${target}`, { method });
  return { status: res.status, body: await res.text() };
}

describe('HTTP-01 challenge answers', () => {
  it('answers a known token with its key authorization and leaves every other request to the proxy', async () => {
    const challenges = new AcmeChallenges();
    challenges.add('tok-1', 'tok-1.thumbprint');
    const port = await serve(challenges);
    expect(await get(port, '/.well-known/acme-challenge/tok-1')).toEqual({ status: 200, body: 'tok-1.thumbprint' });
    expect((await get(port, '/.well-known/acme-challenge/other')).body).toBe('to the app');
    expect((await get(port, '/.well-known/acme-challenge/tok-1', 'POST')).body).toBe('to the app');
    challenges.remove('tok-1');
    expect((await get(port, '/.well-known/acme-challenge/tok-1')).status).toBe(404);
    expect(challenges.size).toBe(0);
  });
});
