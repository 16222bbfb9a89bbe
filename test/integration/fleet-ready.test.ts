// Acceptance (issue 17): a node that starts (or restarts) brings up the fleet's live release before its
// GET /_slotswap/ready answers 200; until then the load balancer's probe gets 503.
import { writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEtcdCluster, type EtcdCluster } from '../helpers/etcd-cluster.js';
import { makeFleetProjects, servedVersion, type FleetNode } from '../helpers/fleet-nodes.js';
import { makeRelease, startDaemonIn } from '../helpers/test-daemon.js';
import { request } from '../helpers/http-client.js';
import { eventually } from '../helpers/eventually.js';
import { freePortRange } from '../helpers/ports.js';
import { makeCa, makeSignedCertificate } from '../helpers/tls-client.js';

let cluster: EtcdCluster;
beforeAll(async () => {
  cluster = await startEtcdCluster(3);
});
afterAll(async () => {
  await cluster?.stop();
});

describe('a fleet node that starts', () => {
  it('answers /_slotswap/ready with 503 until it serves the fleet live release, then 200', async () => {
    const { projects } = await makeFleetProjects(cluster.endpoints, 3);
    const [one, two, late] = projects as [(typeof projects)[0], (typeof projects)[0], (typeof projects)[0]];
    const nodes: FleetNode[] = [];
    for (const p of [one, two]) nodes.push({ ...p, daemon: await startDaemonIn(p.project, { env: p.env }) });
    await eventually(async () => expect(((await nodes[0]!.daemon.api('GET', '/api/fleet/status')).json.nodes as unknown[]).length).toBe(2), 10_000);
    // Ready once each has registered and checked the fleet's release (polled: a loaded machine takes its time).
    for (const node of nodes) await eventually(async () => expect((await request(`${node.daemon.proxyUrl}/_slotswap/ready`)).status).toBe(200), 15_000);
    const release = await makeRelease(nodes[0]!.daemon.dir, 'r-1.1.0', { version: '1.1.0' });
    const deploy = await nodes[0]!.daemon.cli(['deploy', release], 60_000);
    expect(deploy.code, deploy.stdout + deploy.stderr).toBe(0);

    // The third node starts after the deploy: it boots its bootstrap 1.0.0, then must catch up with 1.1.0.
    const daemon = await startDaemonIn(late.project, { env: late.env, waitLive: false });
    const probes: { status: number; version: string | null }[] = [];
    const node: FleetNode = { ...late, daemon };
    await eventually(async () => {
      const ready = await request(`${daemon.proxyUrl}/_slotswap/ready`, { timeoutMs: 2_000 }).catch(() => null);
      if (ready) probes.push({ status: ready.status, version: ready.status === 200 ? await servedVersion(node) : null });
      expect(ready?.status, `last answer ${ready?.body}; node3 output:\n${daemon.output()}`).toBe(200);
    }, 30_000);
    expect(probes.some((p) => p.status === 503), JSON.stringify(probes)).toBe(true);
    expect(probes.filter((p) => p.status === 200).map((p) => p.version)).toEqual(['1.1.0']);
    expect((await request(`${daemon.proxyUrl}/AppRun.json`)).body).toBe((await request(`${nodes[0]!.daemon.proxyUrl}/AppRun.json`)).body);
    const fleet = await nodes[0]!.daemon.cli(['status', '--fleet']);
    expect(fleet.stdout).toMatch(/node3 +http:\/\/127\.0\.0\.1:\d+ +[ab] +1\.1\.0 +1\/1/);

    // A node that stops cleanly leaves at once (its lease is revoked), not after the 3 s lease.
    const stoppedAt = Date.now();
    await nodes[1]!.daemon.stop();
    const names = async () => ((await nodes[0]!.daemon.api('GET', '/api/fleet/status')).json.nodes as { name: string }[]).map((n) => n.name);
    await eventually(async () => expect(await names()).toEqual(['node1', 'node3']), 10_000);
    expect(Date.now() - stoppedAt).toBeLessThan(2_500);
  });

  it('stays not ready while etcd is away at its start, and catches up with the fleet release once etcd is back', async () => {
    const { projects } = await makeFleetProjects(cluster.endpoints, 3);
    const nodes: FleetNode[] = [];
    for (const p of projects.slice(0, 2)) nodes.push({ ...p, daemon: await startDaemonIn(p.project, { env: p.env }) });
    await eventually(async () => expect(((await nodes[0]!.daemon.api('GET', '/api/fleet/status')).json.nodes as unknown[]).length).toBe(2), 10_000);
    const deploy = await nodes[0]!.daemon.cli(['deploy', await makeRelease(nodes[0]!.daemon.dir, 'r-1.1.0', { version: '1.1.0' })], 60_000);
    expect(deploy.code, deploy.stdout + deploy.stderr).toBe(0);

    for (let i = 0; i < 3; i++) await cluster.kill(i);
    const late = projects[2]!;
    const daemon = await startDaemonIn(late.project, { env: late.env, waitLive: false });
    const node: FleetNode = { ...late, daemon };
    await eventually(async () => {
      const ready = await request(`${daemon.proxyUrl}/_slotswap/ready`, { timeoutMs: 2_000 });
      expect(ready.status).toBe(503);
      expect(JSON.parse(ready.body).reason).toMatch(/cannot read the fleet's live release: etcd is unreachable/);
    }, 30_000);
    for (const other of nodes) expect(await servedVersion(other)).toBe('1.1.0');

    await cluster.restartAll();
    await eventually(async () => {
      const ready = await request(`${daemon.proxyUrl}/_slotswap/ready`, { timeoutMs: 2_000 });
      expect(ready.status, `${ready.body}; node3 output:\n${daemon.output()}`).toBe(200);
    }, 40_000);
    expect(await servedVersion(node)).toBe('1.1.0');
  });

  it('with HTTPS and the plain-HTTP redirect on, answers its ready route over plain HTTP and redirects the rest, each request once', async () => {
    const { projects } = await makeFleetProjects(cluster.endpoints, 1);
    const p = projects[0]!;
    const cert = await makeSignedCertificate(p.project.dir, 'proxy', await makeCa(p.project.dir));
    const proxy = p.project.config.proxy as Record<string, unknown>;
    proxy.tls = { port: await freePortRange(1), certFile: cert.certFile, keyFile: cert.keyFile };
    proxy.redirectHttp = true;
    await writeFile(p.project.configFile, JSON.stringify(p.project.config, null, 2));
    const daemon = await startDaemonIn(p.project, { env: p.env });

    // Before: the ready route and the redirect were two 'request' listeners; both answered, the second threw
    // ERR_HTTP_HEADERS_SENT and took the daemon down.
    await eventually(async () => expect((await request(`${daemon.proxyUrl}/_slotswap/ready`, { timeoutMs: 2_000 })).status).toBe(200), 15_000);
    const ready = await request(`${daemon.proxyUrl}/_slotswap/ready`);
    expect(JSON.parse(ready.body)).toMatchObject({ ready: true, node: 'node1' });
    const other = await request(`${daemon.proxyUrl}/some/path?x=1`);
    expect(other.status).toBe(308);
    expect(other.headers.location).toBe('https://app.example.test/some/path?x=1');
    expect((await request(`${daemon.proxyUrl}/_slotswap/ready`)).status).toBe(200);
    expect(daemon.output()).not.toMatch(/ERR_HTTP_HEADERS_SENT|Cannot set headers/);
    expect((await daemon.api('GET', '/api/status')).status).toBe(200);
  });
});
