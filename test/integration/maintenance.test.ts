import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeProject, makeRelease, startDaemon, startDaemonIn, type TestDaemon } from '../helpers/test-daemon.js';
import { getJson, request } from '../helpers/http-client.js';
import { failures, startLoad } from '../helpers/load.js';
import { settled } from '../helpers/settled.js';
import { rawExchange } from '../helpers/raw-http.js';

const PAGE = '<!doctype html><title>Down</title><h1>We are upgrading the database</h1>\n';

async function metric(daemon: TestDaemon, name: string): Promise<string | undefined> {
  const answer = await request(`${daemon.adminUrl}/metrics`, { headers: { authorization: `Bearer ${daemon.token}` } });
  return answer.body.split('\n').find((line) => line.startsWith(`${name} `));
}

async function bypassValue(daemon: TestDaemon): Promise<string> {
  const printed = await daemon.cli(['maintenance', 'bypass']);
  expect(printed.code, printed.stderr).toBe(0);
  expect(printed.stderr).toMatch(/cookie slotswap_bypass=<value> or the header X-Slotswap-Bypass: <value>/);
  return printed.stdout.trim();
}

describe('maintenance mode', () => {
  it('answers every public request 503 with Retry-After while on, except the manifest and bypass requests; off: 0 failed', { timeout: 120_000 }, async () => {
    const daemon = await startDaemon();
    const page = path.join(daemon.dir, 'down.html');
    await writeFile(page, PAGE);
    const livePid = (await daemon.status()).slots.a.instances[0]!.pid;
    expect(await metric(daemon, 'slotswap_maintenance')).toBe('slotswap_maintenance 0');

    const on = await daemon.cli(['maintenance', 'on', '--message', 'Back at 14:00 UTC', '--page', page, '--retry-after', '30']);
    expect(on.code, on.stderr).toBe(0);
    expect(on.stdout).toMatch(/^maintenance on: public requests get 503 with Retry-After 30 s, page down\.html/);

    // A bounded loop over paths, methods and Accept headers: every one is answered by the proxy, 503 with Retry-After.
    const kinds = [
      { path: '/', accept: 'application/json', type: /application\/json/ },
      { path: '/slow?ms=10', accept: '*/*', type: /application\/json/ },
      { path: '/_slots/a/', accept: 'text/html,application/xhtml+xml,*/*;q=0.8', type: /text\/html/ },
      { path: '/echo', accept: 'text/plain', type: /text\/plain/, method: 'POST' },
      { path: '/_app/1.0.0/files.json', accept: '', type: /application\/json/ },
    ];
    for (let i = 0; i < 100; i++) {
      const kind = kinds[i % kinds.length]!;
      const answer = await request(`${daemon.proxyUrl}${kind.path}`, { method: kind.method ?? 'GET', headers: kind.accept ? { accept: kind.accept } : {}, ...(kind.method ? { body: 'x' } : {}) });
      expect(answer.status, `${kind.path} ${answer.body}`).toBe(503);
      expect(answer.headers['retry-after']).toBe('30');
      expect(answer.headers['content-type']).toMatch(kind.type);
      expect(answer.headers['x-served-by-slot']).toBeUndefined();
    }
    const json = await request(`${daemon.proxyUrl}/orders`, { headers: { accept: 'application/json' } });
    expect(JSON.parse(json.body)).toEqual({ error: 'maintenance', message: 'Back at 14:00 UTC', retryAfterS: 30 });
    expect((await request(`${daemon.proxyUrl}/`, { headers: { accept: 'text/html' } })).body).toBe(PAGE);
    expect((await request(`${daemon.proxyUrl}/`, { headers: { accept: 'text/plain' } })).body).toBe('Back at 14:00 UTC\n');

    // Concurrent clients too: no request slips through to an instance.
    const during = await startLoad({ baseUrl: daemon.proxyUrl, clients: 10, stop: () => false, maxMs: 20_000, maxRequestsPerClient: 30 }).done;
    expect(during).toHaveLength(300);
    expect(during.filter((o) => o.status !== 503)).toEqual([]);
    const seen = await request(`${daemon.proxyUrl}/seen`);
    expect(seen.status).toBe(503);

    // The manifest answers, with the notice client apps show.
    const manifest = await getJson<{ version: string; maintenance: unknown }>(`${daemon.proxyUrl}/AppRun.json`);
    expect(manifest.version).toBe('1.0.0');
    expect(manifest.maintenance).toMatchObject({ on: true, message: 'Back at 14:00 UTC', retryAfterS: 30 });

    // The bypass value, as a header or a cookie, reaches the live slot.
    const bypass = await bypassValue(daemon);
    expect(bypass).toMatch(/^[0-9a-f]{64}$/);
    const viaHeader = await request(`${daemon.proxyUrl}/`, { headers: { 'x-slotswap-bypass': bypass } });
    expect(viaHeader.status).toBe(200);
    expect(JSON.parse(viaHeader.body)).toMatchObject({ version: '1.0.0', slot: 'a', pid: livePid });
    const viaCookie = await request(`${daemon.proxyUrl}/`, { headers: { cookie: `lang=en; slotswap_bypass=${bypass}` } });
    expect(viaCookie.status).toBe(200);
    // The app never sees the bypass value (it is derived from the admin token): header and cookie are kept by the proxy.
    const appSaw = JSON.parse((await request(`${daemon.proxyUrl}/headers`, { headers: { 'x-slotswap-bypass': bypass, cookie: `lang=en; slotswap_bypass=${bypass}; theme=dark` } })).body) as { headers: Record<string, string> };
    expect(appSaw.headers['x-slotswap-bypass']).toBeUndefined();
    expect(appSaw.headers.cookie).toBe('lang=en; theme=dark');
    const onlyBypass = JSON.parse((await request(`${daemon.proxyUrl}/headers`, { headers: { cookie: `slotswap_bypass=${bypass}` } })).body) as { headers: Record<string, string> };
    expect(onlyBypass.headers.cookie).toBeUndefined();
    expect((await request(`${daemon.proxyUrl}/`, { headers: { 'x-slotswap-bypass': 'f'.repeat(64) } })).status).toBe(503);

    // A WebSocket upgrade gets the 503 on its socket; with the bypass header it is switched through to the live slot.
    const port = Number(new URL(daemon.proxyUrl).port);
    const upgrade = (extra: string) => `GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`;
    const refused = await rawExchange(port, upgrade(''));
    expect(refused).toMatch(/^HTTP\/1\.1 503 /);
    expect(refused).toMatch(/retry-after: 30/i);
    expect(refused).toContain('"error":"maintenance"');
    expect(await rawExchange(port, upgrade(`X-Slotswap-Bypass: ${bypass}\r\n`), 1_000)).toMatch(/^HTTP\/1\.1 101 /);

    expect(await metric(daemon, 'slotswap_maintenance')).toBe('slotswap_maintenance 1');
    const status = await daemon.cli(['status']);
    expect(status.stdout).toMatch(/maintenance: ON since .* \(503, Retry-After 30 s, page down\.html \d+ bytes\): "Back at 14:00 UTC"/);
    const live = await daemon.status();
    expect(live.slots.a.instances[0]!.pid).toBe(livePid);
    expect(live.slots.a.healthy).toBe(1);

    const off = await daemon.cli(['maintenance', 'off']);
    expect(off.code, off.stderr).toBe(0);
    expect(off.stdout).toMatch(/maintenance off/);
    const after = await startLoad({ baseUrl: daemon.proxyUrl, clients: 10, stop: () => false, maxMs: 20_000, maxRequestsPerClient: 30, kinds: ['get', 'post'] }).done;
    expect(after).toHaveLength(300);
    expect(failures(after)).toEqual([]);
    expect(await metric(daemon, 'slotswap_maintenance')).toBe('slotswap_maintenance 0');
    expect((await getJson<{ maintenance?: unknown }>(`${daemon.proxyUrl}/AppRun.json`)).maintenance).toBeUndefined();

    const history = (await daemon.api('GET', '/api/history?limit=2')).json as { entries: { op: string; outcome: string; steps: { detail: string }[] }[] };
    expect(history.entries.map((e) => `${e.op} ${e.outcome}`)).toEqual(['maintenance-off ok', 'maintenance-on ok']);
    expect(history.entries[1]!.steps[0]!.detail).toMatch(/Retry-After 30 s, page down\.html \d+ bytes.*"Back at 14:00 UTC"/);
    expect((await daemon.cli(['maintenance', 'off'])).stdout).toMatch(/maintenance was not on/);
  });

  it('stays on across a daemon restart, page and message kept, and a deploy meanwhile keeps the notice in the manifest', { timeout: 120_000 }, async () => {
    const project = await makeProject();
    const first = await startDaemonIn(project);
    const page = path.join(first.dir, 'down.html');
    await writeFile(page, PAGE);
    expect((await first.cli(['maintenance', 'on', '--message', 'Moving servers', '--page', page])).code).toBe(0);
    const bypass = await bypassValue(first);
    // The page is kept beside the state file, not in it: every state write would carry it (up to 1 MiB).
    expect(await readFile(path.join(first.dir, 'state/slotswap.json'), 'utf8')).not.toContain('<h1');
    expect(await readFile(path.join(first.dir, 'state/maintenance-page.html'), 'utf8')).toBe(PAGE);
    expect(await first.stop()).toBe(0);

    const second = await startDaemonIn(project);
    const answer = await request(`${second.proxyUrl}/`, { headers: { accept: 'text/html' } });
    expect(answer.status).toBe(503);
    expect(answer.headers['retry-after']).toBe('60');
    expect(answer.body).toBe(PAGE);
    expect((await request(`${second.proxyUrl}/`, { headers: { 'x-slotswap-bypass': bypass } })).status).toBe(200);

    const release = await makeRelease(second.dir, 'v2', { version: '2.0.0' });
    const deployed = await second.cli(['deploy', release]);
    expect(deployed.code, deployed.stderr).toBe(0);
    const manifest = await getJson<{ version: string; maintenance: { message: string } }>(`${second.proxyUrl}/AppRun.json`);
    expect(manifest.version).toBe('2.0.0');
    expect(manifest.maintenance.message).toBe('Moving servers');
    expect((await request(`${second.proxyUrl}/`)).status).toBe(503);
    const bypassed = await request(`${second.proxyUrl}/`, { headers: { 'x-slotswap-bypass': bypass } });
    expect(JSON.parse(bypassed.body)).toMatchObject({ version: '2.0.0', slot: 'b' });
    await settled(second);
    expect((await second.cli(['maintenance', 'off'])).code).toBe(0);
    expect((await request(`${second.proxyUrl}/`)).status).toBe(200);
    await expect(readFile(path.join(second.dir, 'state/maintenance-page.html'))).rejects.toThrow(/ENOENT/);
  });

  it('refuses a --page that does not exist or is over 1 MiB, with the reason, and stays off', { timeout: 60_000 }, async () => {
    const daemon = await startDaemon();
    const missing = await daemon.cli(['maintenance', 'on', '--page', path.join(daemon.dir, 'nope.html')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--page ".*nope\.html": expected an HTML file, but there is no file there/);
    const big = path.join(daemon.dir, 'big.html');
    await writeFile(big, Buffer.alloc(1024 * 1024 + 1, 'a'));
    const tooBig = await daemon.cli(['maintenance', 'on', '--page', big]);
    expect(tooBig.code).toBe(2);
    expect(tooBig.stderr).toMatch(/expected at most 1048576 bytes \(1 MiB\), got 1048577/);
    // The daemon checks the page itself as well: a client that skips the CLI's check is refused the same way.
    const direct = await daemon.api('PUT', '/api/maintenance', { page: 'a'.repeat(1024 * 1024 + 1) });
    expect(direct.status).toBe(413);
    expect((await daemon.status()).maintenance).toMatchObject({ on: false });
    expect((await request(`${daemon.proxyUrl}/`)).status).toBe(200);
  });
});
