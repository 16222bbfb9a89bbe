// `slotswap logs --follow` follows both slots: a deploy's new instances appear, each line named by its slot and instance.
import { spawn } from 'node:child_process';
import { describe, expect, it, onTestFinished } from 'vitest';
import { CLI } from '../helpers/cli.js';
import { eventually } from '../helpers/eventually.js';
import { startDaemon } from '../helpers/test-daemon.js';

describe('logs --follow', () => {
  it('shows the new slot of a deploy that started after the follow began, prefixed [b-1]', { timeout: 60_000 }, async () => {
    const daemon = await startDaemon();
    const follower = spawn(process.execPath, [CLI, 'logs', '--follow', '--lines', '1', '--config', daemon.configFile], { cwd: daemon.dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    follower.stdout.on('data', (c: Buffer) => (out += c.toString()));
    follower.stderr.on('data', (c: Buffer) => (out += c.toString()));
    onTestFinished(() => {
      if (follower.exitCode === null) follower.kill('SIGTERM');
    });
    // The follow is under way once the live slot's last line is out.
    await eventually(() => expect(out).toMatch(/^\[a-1\] /m), 10_000);
    const deploy = await daemon.cli(['deploy', `${daemon.dir}/sites/sample-api`, '--version', '1.1.0', '--wait-drain']);
    expect(deploy.code, deploy.stderr).toBe(0);
    await eventually(() => expect(out).toMatch(/^\[b-1\] sample-api 1\.1\.0 slot b instance 1 pid \d+/m), 10_000);
    // The old slot's stop is followed too.
    await eventually(() => expect(out).toMatch(/^\[a-1\] .*(exited|stopp|SIGTERM)/m), 10_000);
    expect(out.indexOf('[b-1]'), out).toBeGreaterThan(out.indexOf('[a-1]'));
  });

  it('prints the tail of both slots without a slot argument, and only the named slot with one', { timeout: 60_000 }, async () => {
    const daemon = await startDaemon();
    expect((await daemon.cli(['deploy', `${daemon.dir}/sites/sample-api`, '--version', '1.1.0', '--wait-drain'])).code).toBe(0);
    const both = await daemon.cli(['logs', '--lines', '5']);
    expect(both.code, both.stderr).toBe(0);
    expect(both.stdout).toMatch(/^\[a-1\] /m);
    expect(both.stdout).toMatch(/^\[b-1\] /m);
    const onlyB = await daemon.cli(['logs', 'b', '--lines', '5']);
    expect(onlyB.stdout).toMatch(/^\[b-1\] /m);
    expect(onlyB.stdout).not.toMatch(/^\[a-1\] /m);
  });
});
