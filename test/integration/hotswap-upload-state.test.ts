// GET /api/hotswap/upload: whether an uploaded executable waits to be swapped in (the admin page's Update Exe).
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { buildExe, startHotswapDaemon } from '../helpers/hotswap-project.js';
import { request } from '../helpers/http-client.js';
import { startDaemon } from '../helpers/test-daemon.js';

describe('GET /api/hotswap/upload', () => {
  it('says nothing waits, then the upload waits, then nothing waits once Update Exe used it', { timeout: 60_000 }, async () => {
    const daemon = await startHotswapDaemon();
    expect((await daemon.api('GET', '/api/hotswap/upload')).json).toMatchObject({ pending: false, bytes: null, mtime: null });

    const exe = await readFile(await buildExe(daemon.dir, 'server-1.1.0', { version: '1.1.0' }));
    const uploaded = await request(`${daemon.adminUrl}/api/hotswap/upload`, { method: 'POST', headers: { authorization: `Bearer ${daemon.token}`, 'content-type': 'application/octet-stream' }, body: exe });
    expect(uploaded.status, uploaded.body).toBe(200);
    const waiting = (await daemon.api('GET', '/api/hotswap/upload')).json;
    expect(waiting).toMatchObject({ pending: true, bytes: exe.length });
    expect(Number.isFinite(Date.parse(String(waiting.mtime)))).toBe(true);

    const updated = await daemon.api('POST', '/api/hotswap/update');
    expect(updated.status, updated.body).toBe(200);
    expect((await daemon.api('GET', '/api/hotswap/upload')).json).toMatchObject({ pending: false });
  });

  it('is refused in blue/green mode, like the other hotswap routes', async () => {
    const daemon = await startDaemon();
    const answer = await daemon.api('GET', '/api/hotswap/upload');
    expect(answer.status).toBe(400);
    expect(answer.json).toMatchObject({ error: 'bad_request' });
  });
});
