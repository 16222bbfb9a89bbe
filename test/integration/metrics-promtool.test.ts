// /metrics as Prometheus' own checker reads it: every slotswap_* metric passes `promtool check metrics`, and the request
// metrics by slot and version, the answers by status class and the canary weight are there with their figures.
import { spawn, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { makeRelease, startDaemon } from '../helpers/test-daemon.js';
import { request } from '../helpers/http-client.js';

const PROMTOOL = '/usr/bin/promtool';
const hasPromtool = spawnSync(PROMTOOL, ['--version']).status === 0;
if (!hasPromtool && process.env.CI === 'true') throw new Error(`${PROMTOOL} is missing; under CI it must be installed (apt-get install prometheus)`);
if (!hasPromtool) console.log(`skipping the promtool check: ${PROMTOOL} is not installed (apt-get install prometheus)`);

function promtoolCheck(text: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(PROMTOOL, ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
    child.stdin.end(text);
  });
}

describe.skipIf(!hasPromtool)('metrics and promtool', () => {
  it('passes promtool check metrics for every slotswap_* metric while a canary runs, with durations by slot and version', async () => {
    const daemon = await startDaemon();
    const deployed = await daemon.cli(['deploy', await makeRelease(daemon.dir, 'r-1.1.0', { version: '1.1.0' }), '--canary', '50']);
    expect(deployed.code, deployed.stderr).toBe(0);
    for (let i = 0; i < 60; i++) await request(`${daemon.proxyUrl}/`);
    await request(`${daemon.proxyUrl}/nowhere`);
    const metrics = await request(`${daemon.adminUrl}/metrics`, { headers: { authorization: `Bearer ${daemon.token}` } });
    expect(metrics.status).toBe(200);
    const { output } = await promtoolCheck(metrics.body);
    const complaints = output.split('\n').filter((line) => line.includes('slotswap_'));
    expect(complaints, output).toEqual([]);
    expect(metrics.body).toMatch(/slotswap_request_duration_seconds_bucket\{slot="a",version="1.0.0",le="0.001"\} \d+/);
    expect(metrics.body).toMatch(/slotswap_request_duration_seconds_bucket\{slot="b",version="1.1.0",le="30"\} \d+/);
    expect(metrics.body).toMatch(/slotswap_request_duration_seconds_count\{slot="b",version="1.1.0"\} [1-9]\d*/);
    expect(metrics.body).toMatch(/slotswap_slot_answers_total\{slot="a",version="1.0.0",status_class="2xx"\} [1-9]\d*/);
    expect(metrics.body).toMatch(/slotswap_slot_answers_total\{slot="[ab]",version="1.[01].0",status_class="4xx"\} 1/);
    expect(metrics.body).toContain('slotswap_canary_weight{slot="b"} 50');
    expect(metrics.body).toContain('slotswap_canary_weight{slot="a"} 0');
  }, 60_000);
});
