import { describe, expect, it } from 'vitest';
import { request } from '../helpers/http-client.js';
import { eventually } from '../helpers/eventually.js';
import { makeProject, startDaemonIn } from '../helpers/test-daemon.js';
import { makeShippedProject } from '../helpers/shipped-config.js';

async function manifestOf(proxyUrl: string): Promise<{ webApiUrl: string }> {
  const answer = await request(`${proxyUrl}/AppRun.json`);
  expect(answer.status).toBe(200);
  return JSON.parse(answer.body) as { webApiUrl: string };
}

describe('the public URL', () => {
  it('is derived from the port the proxy bound when the config leaves it out, as the shipped config does', { timeout: 60_000 }, async () => {
    const project = await makeShippedProject();
    const daemon = await startDaemonIn(project);
    const port = project.config.proxy.port;

    expect((await manifestOf(daemon.proxyUrl)).webApiUrl).toBe(`http://localhost:${port}/_slots/a/`);
    expect(project.config.proxy, 'the shipped orchestrator.config.json sets proxy.publicUrl').not.toHaveProperty('publicUrl');
    await eventually(() => expect(daemon.output()).toContain(`serving http://localhost:${port}/`));
    expect(daemon.output()).not.toMatch(/WARNING.*publicUrl/);
  });

  it('is derived from the real port when proxy.port is 0', { timeout: 60_000 }, async () => {
    const project = await makeProject({ proxy: { port: 0 } });
    const daemon = await startDaemonIn(project);
    const bound = /proxy on http:\/\/127\.0\.0\.1:(\d+) /.exec(daemon.output());
    expect(bound, daemon.output()).not.toBeNull();
    expect((await manifestOf(`http://127.0.0.1:${bound![1]}`)).webApiUrl).toBe(`http://localhost:${bound![1]}/_slots/a/`);
  });

  it('start-up names the address the proxy actually bound: 0.0.0.0 in the shipped config, 127.0.0.1 when asked for', { timeout: 60_000 }, async () => {
    const shipped = await makeShippedProject();
    const everywhere = await startDaemonIn(shipped);
    expect(everywhere.output()).toContain(`slotswap: proxy on http://0.0.0.0:${shipped.config.proxy.port} (public URL http://localhost:${shipped.config.proxy.port})`);

    const project = await makeProject();
    const loopback = await startDaemonIn(project);
    const port = (project.config.proxy as { port: number }).port;
    expect(loopback.output()).toContain(`slotswap: proxy on http://127.0.0.1:${port} (public URL http://localhost:${port})`);
  });

  it('warns at start-up, in one line naming both ports, when publicUrl names another port than the proxy listens on', { timeout: 60_000 }, async () => {
    const project = await makeProject({ proxy: { publicUrl: 'http://localhost:8080' } });
    const port = (project.config.proxy as { port: number }).port;
    const daemon = await startDaemonIn(project);

    const warnings = daemon.output().split('\n').filter((line) => line.includes('WARNING') && line.includes('publicUrl'));
    expect(warnings, daemon.output()).toHaveLength(1);
    expect(warnings[0]).toContain('8080');
    expect(warnings[0]).toContain(String(port));
    // The operator's choice is kept (a load balancer may forward 8080 to the proxy's port).
    expect((await manifestOf(daemon.proxyUrl)).webApiUrl).toBe('http://localhost:8080/_slots/a/');
  });
});
