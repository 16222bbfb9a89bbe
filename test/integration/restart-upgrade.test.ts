// slotswap restart runs the code installed now: a copy of the build, changed between two restarts, takes over.
import { spawn } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { makeProject } from '../helpers/test-daemon.js';
import { runCli } from '../helpers/cli.js';
import { failures, startLoad, whenAnswered } from '../helpers/load.js';
import { daemonInfo, stopCurrentDaemonAtEnd } from '../helpers/restarted-daemon.js';
import { eventually } from '../helpers/eventually.js';

const REPO = path.resolve(import.meta.dirname, '../..');

/** dist/ and package.json copied, node_modules linked: an install of its own that the test can change. */
async function copyInstall(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'slotswap-install-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  await cp(path.join(REPO, 'dist'), path.join(dir, 'dist'), { recursive: true });
  await cp(path.join(REPO, 'package.json'), path.join(dir, 'package.json'));
  await symlink(path.join(REPO, 'node_modules'), path.join(dir, 'node_modules'));
  return dir;
}

async function setVersion(install: string, version: string): Promise<void> {
  const file = path.join(install, 'package.json');
  const pkg = JSON.parse(await readFile(file, 'utf8')) as { version: string };
  await writeFile(file, JSON.stringify({ ...pkg, version }, null, 2));
}

describe('slotswap restart after an upgrade on disk', () => {
  it('starts the new daemon from the changed install: status reports the new slotswap version, no request failed', { timeout: 180_000 }, async () => {
    const install = await copyInstall();
    await setVersion(install, '7.0.0-old');
    const project = await makeProject({ instances: 2 });
    const main = path.join(install, 'dist/cli/main.js');
    const first = spawn(process.execPath, [main, 'start', '--config', project.configFile], { cwd: project.dir, stdio: 'ignore', env: { ...process.env, SLOTSWAP_ADMIN_TOKEN: '' } });
    onTestFinished(() => void first.kill('SIGTERM'));
    stopCurrentDaemonAtEnd(project.dir);
    const cli = (args: string[]) => runCli([...args, '--config', project.configFile], { cwd: project.dir, timeoutMs: 90_000 });
    const status = async () => JSON.parse((await cli(['status', '--json'])).stdout) as { live: 'a' | 'b'; daemon: { pid: number; version: string }; slots: Record<string, { instances: { pid: number }[] }> };
    await eventually(async () => expect((await daemonInfo(project.dir)).ready).toBe(true), 30_000);
    const before = await status();
    expect(before.daemon).toEqual({ pid: first.pid, version: '7.0.0-old' });
    const pids = before.slots[before.live]!.instances.map((i) => i.pid);

    const proxyUrl = `http://127.0.0.1:${(project.config.proxy as { port: number }).port}`;
    let stop = false;
    const load = startLoad({ baseUrl: proxyUrl, clients: 50, stop: () => stop, maxMs: 120_000 });
    await whenAnswered(load, 200);
    await setVersion(install, '7.1.0-new');
    const restarted = await cli(['restart']);
    expect(restarted.code, restarted.stderr).toBe(0);
    expect(restarted.stdout).toMatch(/slotswap 7\.1\.0-new/);
    await whenAnswered(load, 200, Date.now());
    stop = true;
    expect(failures(await load.done).slice(0, 5)).toEqual([]);

    const after = await status();
    expect(after.daemon.version).toBe('7.1.0-new');
    expect(after.daemon.pid).not.toBe(first.pid);
    expect(after.slots[after.live]!.instances.map((i) => i.pid)).toEqual(pids);
  });
});
