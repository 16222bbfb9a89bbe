// "bootstrap": "" — a production daemon that starts with nothing live instead of deploying the sample API.
import { describe, expect, it } from 'vitest';
import { makeProject, startDaemonIn } from '../helpers/test-daemon.js';
import { request } from '../helpers/http-client.js';
import { eventually } from '../helpers/eventually.js';

describe('a config with "bootstrap": ""', () => {
  it('starts with nothing live, answers 503 once the hold runs out, and serves the first deploy', { timeout: 60_000 }, async () => {
    const project = await makeProject({ bootstrap: '', hold: { timeoutMs: 500 } });
    const daemon = await startDaemonIn(project, { waitLive: false });
    await eventually(() => expect(daemon.output()).toContain('nothing is live yet and "bootstrap" is ""'));
    expect((await daemon.status()).live).toBeNull();
    expect((await request(`${daemon.proxyUrl}/`)).status).toBe(503);
    const deployed = await daemon.cli(['deploy', `${daemon.dir}/sites/sample-api`]);
    expect(deployed.code, deployed.stderr).toBe(0);
    const answer = await request(`${daemon.proxyUrl}/`);
    expect([answer.status, (JSON.parse(answer.body) as { version: string }).version]).toEqual([200, '1.0.0']);
  });
});
