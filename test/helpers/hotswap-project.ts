// A hotswap-mode project: the sample server executable at deploy/server, and new "builds" of it.
import { chmod, cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { makeProject, startDaemonIn, type TestDaemon } from './test-daemon.js';
import { eventually } from './eventually.js';

export const HOTSWAP_SERVER = path.resolve(import.meta.dirname, '../../sites/hotswap-server/server');

/** Writes a build of the sample executable with another version, start-up delay or a broken start. */
export async function buildExe(dir: string, name: string, options: { version: string; startupMs?: number; body?: string }): Promise<string> {
  let source = await readFile(HOTSWAP_SERVER, 'utf8');
  source = source.replace("const VERSION = '1.0.0';", `const VERSION = '${options.version}';`).replace('const STARTUP_MS = 0;', `const STARTUP_MS = ${options.startupMs ?? 0};`);
  if (options.body) source = `#!/usr/bin/env node\n${options.body}\n`;
  const file = path.join(dir, 'builds', name);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, source);
  await chmod(file, 0o755);
  return file;
}

export async function startHotswapDaemon(overrides: Record<string, unknown> = {}): Promise<TestDaemon> {
  const project = await makeProject({
    app: 'hotswap-server',
    mode: 'hotswap',
    instances: 2,
    hotswap: { exeFile: 'deploy/server', updateFile: 'deploy/server_update' },
    ...overrides,
  });
  await mkdir(path.join(project.dir, 'deploy'), { recursive: true });
  await cp(HOTSWAP_SERVER, path.join(project.dir, 'deploy/server'));
  const daemon = await startDaemonIn(project);
  // Hotswap's start-up is not recorded (no pending entry to wait for), and its flip steps hold the lock a little
  // after the slot is live: a test's first operation could meet 409 "another operation is running (start-up ...)".
  await eventually(async () => {
    if ((await daemon.status()).operation != null) throw new Error('the start-up operation still runs');
  }, 10_000);
  return daemon;
}
