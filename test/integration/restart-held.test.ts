// Requests held when `slotswap restart` runs are not lost: the old daemon hands them on to the new one, which answers
// them from the live slot at `slotswap resume` (bodies and the client's X-Forwarded-* intact), or with the hold's own
// 503 once hold.timeoutMs has passed since they arrived.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { makeProject, startDaemon, startDaemonIn, type TestDaemon } from '../helpers/test-daemon.js';
import { freePortRange } from '../helpers/ports.js';
import { request, type HttpAnswer } from '../helpers/http-client.js';
import { eventually } from '../helpers/eventually.js';
import { daemonInfo, processGone, stopCurrentDaemonAtEnd } from '../helpers/restarted-daemon.js';

const FORWARDED = ['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-port', 'x-forwarded-prefix'];

async function queued(daemon: TestDaemon): Promise<number> {
  return ((await daemon.status()).hold as { queued: number }).queued;
}

function forwardedSeen(answer: HttpAnswer): Record<string, unknown> {
  const headers = (JSON.parse(answer.body) as { headers: Record<string, unknown> }).headers;
  return Object.fromEntries(FORWARDED.map((name) => [name, headers[name]]));
}

function httpsGet(url: string, ca: string): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { ca, servername: 'localhost', agent: false, timeout: 90_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
  });
}

describe('held requests across slotswap restart', () => {
  it('are answered by the live slot at resume on the new daemon, bodies and forwarded headers intact', { timeout: 180_000 }, async () => {
    const daemon = await startDaemon({ hold: { timeoutMs: 60_000 } });
    stopCurrentDaemonAtEnd(daemon.dir);
    const unheld = forwardedSeen(await request(`${daemon.proxyUrl}/headers`, { headers: { 'x-forwarded-for': '203.0.113.9' } }));
    expect(unheld['x-forwarded-for']).toBe('127.0.0.1');

    expect((await daemon.cli(['hold'])).code).toBe(0);
    const gets: Promise<HttpAnswer>[] = [];
    const posts: { body: string; answer: Promise<HttpAnswer> }[] = [];
    for (let i = 0; i < 10; i++) {
      // A client-sent X-Forwarded-For must be replaced, never trusted, also after the hand-on.
      gets.push(request(`${daemon.proxyUrl}/headers?n=${i}`, { headers: { 'x-forwarded-for': '203.0.113.9', 'x-test-id': `get-${i}` }, timeoutMs: 90_000 }));
      const body = `held body ${i} `.repeat(i === 9 ? 20_000 : 1 + i * 10);
      posts.push({ body, answer: request(`${daemon.proxyUrl}/echo`, { method: 'POST', body, headers: { 'content-type': 'text/plain' }, timeoutMs: 90_000 }) });
    }
    await eventually(async () => expect(await queued(daemon)).toBe(20), 20_000);
    const oldPid = (await daemonInfo(daemon.dir)).pid;

    const restarted = await daemon.cli(['restart', '--json'], 90_000);
    expect(restarted.code, `${restarted.stdout}${restarted.stderr}`).toBe(0);
    const newPid = (JSON.parse(restarted.stdout) as { newPid: number }).newPid;
    expect(newPid).not.toBe(oldPid);
    // The new daemon holds them now, every one of them.
    await eventually(async () => expect(await queued(daemon)).toBe(20), 20_000);
    expect(((await daemon.status()).daemon as { pid: number }).pid).toBe(newPid);

    expect((await daemon.cli(['resume'])).code).toBe(0);
    const getAnswers = await Promise.all(gets);
    const postAnswers = await Promise.all(posts.map((p) => p.answer));
    for (const answer of getAnswers) {
      expect(answer.status, answer.body).toBe(200);
      expect(forwardedSeen(answer)).toEqual(unheld);
      expect(answer.headers['x-served-by-slot']).toBe('a');
    }
    for (const [i, answer] of postAnswers.entries()) {
      expect(answer.status, answer.body).toBe(200);
      expect((JSON.parse(answer.body) as { body: string }).body).toBe(posts[i]!.body);
    }
    expect(await processGone(oldPid, 30_000), 'the old daemon exits once its handed-on requests are answered').toBe(true);
    expect(((await daemon.status()).hold as { on: boolean; queued: number })).toMatchObject({ on: false, queued: 0 });
  });

  it('answers a held request whose hold times out across the restart with the same 503 as without one', { timeout: 180_000 }, async () => {
    const timeoutMs = 10_000;
    const daemon = await startDaemon({ hold: { timeoutMs } });
    stopCurrentDaemonAtEnd(daemon.dir);
    expect((await daemon.cli(['hold'])).code).toBe(0);
    const plain = await request(`${daemon.proxyUrl}/`, { timeoutMs: 60_000 });
    expect(plain.status).toBe(503);

    const sentAt = Date.now();
    const held = request(`${daemon.proxyUrl}/`, { timeoutMs: 60_000 });
    await eventually(async () => expect(await queued(daemon)).toBe(1), 20_000);
    const restarted = await daemon.cli(['restart'], 90_000);
    expect(restarted.code, restarted.stderr).toBe(0);
    const restartedAt = Date.now();
    const answer = await held;
    const answeredAt = Date.now();
    expect(restartedAt, 'the restart is over before the hold times out').toBeLessThan(sentAt + timeoutMs);
    expect({ status: answer.status, body: answer.body, retryAfter: answer.headers['retry-after'] }).toEqual({ status: 503, body: plain.body, retryAfter: plain.headers['retry-after'] });
    // Measured from its arrival at the old daemon, not from the hand-on.
    expect(answeredAt - sentAt).toBeGreaterThanOrEqual(timeoutMs - 50);
    expect(answeredAt - restartedAt).toBeLessThan(timeoutMs);
  });

  it('keeps them through two restarts in a row, each forwarded to the app exactly once', { timeout: 180_000 }, async () => {
    const daemon = await startDaemon({ hold: { timeoutMs: 60_000 } });
    stopCurrentDaemonAtEnd(daemon.dir);
    const unheld = forwardedSeen(await request(`${daemon.proxyUrl}/headers`));
    expect((await daemon.cli(['hold'])).code).toBe(0);
    const answers: Promise<HttpAnswer>[] = [];
    for (let i = 0; i < 4; i++) {
      answers.push(request(`${daemon.proxyUrl}/headers?n=${i}`, { headers: { 'x-test-id': `twice-${i}` }, timeoutMs: 90_000 }));
      await eventually(async () => expect(await queued(daemon)).toBe(i + 1), 20_000);
    }
    const pids = [(await daemonInfo(daemon.dir)).pid];
    for (let round = 0; round < 2; round++) {
      const restarted = await daemon.cli(['restart', '--json'], 90_000);
      expect(restarted.code, restarted.stderr).toBe(0);
      pids.push((JSON.parse(restarted.stdout) as { newPid: number }).newPid);
      await eventually(async () => expect(await queued(daemon)).toBe(4), 20_000);
    }
    expect((await daemon.cli(['resume'])).code).toBe(0);
    for (const answer of await Promise.all(answers)) {
      expect(answer.status, answer.body).toBe(200);
      expect(forwardedSeen(answer)).toEqual(unheld);
    }
    // Neither lost nor sent twice on the way through three daemons.
    const seen = (JSON.parse((await request(`${daemon.proxyUrl}/seen`)).body) as { ids: string[] }).ids.filter((id) => id.startsWith('twice-'));
    expect(seen.sort()).toEqual(['twice-0', 'twice-1', 'twice-2', 'twice-3']);
    for (const pid of pids.slice(0, 2)) expect(await processGone(pid, 30_000)).toBe(true);
  });

  it('hands on a request held on the HTTPS port with its scheme, past the plain port\'s redirect', { timeout: 180_000 }, async () => {
    const certDir = await mkdtemp(path.join(os.tmpdir(), 'slotswap-held-tls-'));
    const certFile = path.join(certDir, 'live.crt');
    const keyFile = path.join(certDir, 'live.key');
    await promisify(execFile)('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', keyFile, '-out', certFile]);
    const ca = await readFile(certFile, 'utf8');
    const tlsPort = await freePortRange(1);
    const project = await makeProject({ hold: { timeoutMs: 60_000 }, proxy: { redirectHttp: true, tls: { port: tlsPort, certFile, keyFile } } });
    const daemon = await startDaemonIn(project);
    stopCurrentDaemonAtEnd(project.dir);
    const url = `https://127.0.0.1:${tlsPort}/headers`;
    const unheld = forwardedSeen(await httpsGet(url, ca));
    expect(unheld['x-forwarded-proto']).toBe('https');
    expect((await daemon.cli(['hold'])).code).toBe(0);
    const held = httpsGet(url, ca);
    await eventually(async () => expect(await queued(daemon)).toBe(1), 20_000);
    const restarted = await daemon.cli(['restart'], 90_000);
    expect(restarted.code, restarted.stderr).toBe(0);
    await eventually(async () => expect(await queued(daemon)).toBe(1), 20_000);
    expect((await daemon.cli(['resume'])).code).toBe(0);
    const answer = await held;
    expect(answer.status, answer.body).toBe(200);
    expect(forwardedSeen(answer)).toEqual(unheld);
  });
});
