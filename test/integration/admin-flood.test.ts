import http from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startDaemon } from '../helpers/test-daemon.js';
import { request } from '../helpers/http-client.js';
import { eventually } from '../helpers/eventually.js';

const FLOOD_REQUESTS = 2_000;
const FLOOD_CONCURRENCY = 8;
const FLOOD_MAX_MS = 60_000;
const LONG_PATH = `/api/${'x'.repeat(15_000)}`;

interface AuditView {
  at: string;
  actor: string;
  action: string;
  status: number;
}

/** Sends `count` anonymous POSTs over a keep-alive agent, `concurrency` at a time; returns the statuses seen. */
async function anonymousFlood(adminUrl: string, count: number, concurrency: number): Promise<Map<number, number>> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const statuses = new Map<number, number>();
  const until = Date.now() + FLOOD_MAX_MS;
  let next = 0;
  const worker = async () => {
    while (next < count && Date.now() < until) {
      const i = next++;
      const answer = await request(`${adminUrl}${LONG_PATH}/${i}`, { method: 'POST', agent, body: '{}', headers: { 'content-type': 'application/json' } }).catch(() => ({ status: 0 }));
      statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  agent.destroy();
  return statuses;
}

describe('an anonymous flood of the admin API', () => {
  it('answers 2,000 anonymous POSTs with long paths with 401, counts them in /metrics, and leaves the state file and every real audit entry as they were', { timeout: 120_000 }, async () => {
    const daemon = await startDaemon();
    const stateFile = path.join(daemon.dir, 'state/slotswap.json');
    // Real audit entries first: two calls made with the token.
    expect((await daemon.api('POST', '/api/hold')).status).toBe(200);
    expect((await daemon.api('POST', '/api/resume')).status).toBe(200);
    const realAudit = await eventually(async () => {
      const audit = (JSON.parse(await readFile(stateFile, 'utf8')) as { audit: AuditView[] }).audit;
      expect(audit.map((a) => a.action)).toEqual(expect.arrayContaining(['POST /api/hold', 'POST /api/resume']));
      return audit;
    });
    const before = await readFile(stateFile);
    const sizeBefore = (await stat(stateFile)).size;

    const statuses = await anonymousFlood(daemon.adminUrl, FLOOD_REQUESTS, FLOOD_CONCURRENCY);
    expect(Object.fromEntries(statuses)).toEqual({ 401: FLOOD_REQUESTS });

    const after = await readFile(stateFile);
    expect({ size: (await stat(stateFile)).size, sameBytes: after.equals(before) }).toEqual({ size: sizeBefore, sameBytes: true });
    const auditAfter = (JSON.parse(after.toString('utf8')) as { audit: AuditView[] }).audit;
    expect(auditAfter).toEqual(realAudit);
    expect(auditAfter.some((a) => a.actor.startsWith('anonymous'))).toBe(false);
    // The refused calls are counted, not stored.
    const metrics = await request(`${daemon.adminUrl}/metrics`, { headers: { authorization: `Bearer ${daemon.token}` } });
    expect(metrics.body).toMatch(new RegExp(`^slotswap_admin_auth_failures_total ${FLOOD_REQUESTS}$`, 'm'));
    // The log says so, rate-limited: a handful of lines for 2,000 refusals, none holding the whole 15 KB path.
    const lines = daemon.output().split('\n').filter((l) => l.includes('refused'));
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.length).toBeLessThan(20);
    for (const line of lines) expect(line.length).toBeLessThan(600);
  });
});
