import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { makeProject } from '../helpers/test-daemon.js';

type Json = Record<string, unknown>;

/** Where the CLI runs: a folder other than the config's, so relative paths must resolve against the config file. */
async function elsewhere(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'slotswap-cwd-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const exists = (file: string) => access(file).then(() => true, () => false);

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

interface InvalidCase {
  name: string;
  /** Changes the valid base config (parsed) into an invalid one. */
  edit: (config: Json) => void;
  /** The key path the message must name, e.g. "health.timout". */
  key: string;
  /** More text the message must contain (the offending value, for one). */
  also?: RegExp;
}

const INVALID: InvalidCase[] = [
  {
    name: 'an unknown nested key',
    edit: (c) => {
      (c.health as Json).timout = 5000;
    },
    key: 'health.timout',
    also: /unknown key/,
  },
  {
    name: 'an unknown top-level key',
    edit: (c) => {
      c.proxxy = { port: 1 };
    },
    key: 'proxxy',
    also: /unknown key/,
  },
  {
    name: 'a string where an integer belongs',
    edit: (c) => {
      (c.drain as Json).idleMs = '100';
    },
    key: 'drain.idleMs',
    also: /"100"/,
  },
  {
    name: 'a negative integer',
    edit: (c) => {
      (c.drain as Json).timeoutMs = -1;
    },
    key: 'drain.timeoutMs',
    also: /-1/,
  },
  {
    name: 'an object where a number belongs',
    edit: (c) => {
      (c.slots as { a: Json }).a.port = { value: 1 };
    },
    key: 'slots.a.port',
  },
  {
    name: 'a value outside an enumeration',
    edit: (c) => {
      c.mode = 'purple';
    },
    key: 'mode',
    also: /purple/,
  },
  {
    name: 'two slots on the same port',
    edit: (c) => {
      const slots = c.slots as { a: Json; b: Json };
      slots.b.port = slots.a.port;
    },
    key: 'slots.b.port',
    also: /overlap/,
  },
  {
    name: 'the admin API on the proxy port',
    edit: (c) => {
      (c.admin as Json).port = (c.proxy as Json).port;
    },
    key: 'admin.port',
    also: /overlap/,
  },
  {
    name: 'a bootstrap folder that does not exist',
    edit: (c) => {
      c.bootstrap = 'sites/no-such-release';
    },
    key: 'bootstrap',
    also: /no-such-release/,
  },
];

async function invalidProject(edit: (config: Json) => void) {
  const project = await makeProject();
  const config = JSON.parse(await readFile(project.configFile, 'utf8')) as Json;
  edit(config);
  await writeFile(project.configFile, JSON.stringify(config, null, 2));
  return { ...project, config };
}

/** `start` must refuse at once: nothing listening, no state, no token written. */
async function expectNothingStarted(dir: string, config: Json): Promise<void> {
  expect(await exists(path.join(dir, 'state/admin.token'))).toBe(false);
  expect(await exists(path.join(dir, 'state/slotswap.json'))).toBe(false);
  for (const port of [(config.proxy as Json | undefined)?.port, (config.admin as Json | undefined)?.port]) {
    if (typeof port === 'number' && port > 0) expect(await portAnswers(port), `port ${port} must not be listening`).toBe(false);
  }
}

describe('config errors', () => {
  for (const { name, edit, key, also } of INVALID) it(`rejects ${name} in \`config check\` and \`start\` with exit 2 and a message naming ${key}`, { timeout: 40_000 }, async () => {
    const { dir, configFile, config } = await invalidProject(edit);
    const cwd = await elsewhere();

    const check = await runCli(['config', 'check', '--config', configFile], { cwd, timeoutMs: 15_000 });
    expect(check.code, check.stderr + check.stdout).toBe(2);
    expect(check.stderr).toContain(`"${key}"`);
    expect(check.stderr).toContain(configFile);
    if (also) expect(check.stderr).toMatch(also);

    const start = await runCli(['start', '--config', configFile], { cwd, timeoutMs: 15_000 });
    expect(start.code, `start must exit by itself with 2; output:\n${start.stderr}${start.stdout}`).toBe(2);
    expect(start.stderr).toContain(`"${key}"`);
    if (also) expect(start.stderr).toMatch(also);
    await expectNothingStarted(dir, config);
  });

  it('names every problem of a config with several at once', async () => {
    const { configFile } = await invalidProject((c) => {
      (c.health as Json).timout = 1;
      (c.drain as Json).idleMs = 'soon';
      c.bootstrap = 'missing';
    });
    const check = await runCli(['config', 'check', '--config', configFile], { cwd: await elsewhere(), timeoutMs: 15_000 });
    expect(check.code).toBe(2);
    for (const key of ['health.timout', 'drain.idleMs', 'bootstrap']) expect(check.stderr).toContain(`"${key}"`);
  });

  it('rejects a config file that is not JSON in `config check` and `start` with exit 2, naming the file', { timeout: 40_000 }, async () => {
    const { dir, configFile, config } = await makeProject();
    await writeFile(configFile, '{ "app": "sample-api", proxy: { port: 8080 } ');
    const cwd = await elsewhere();
    for (const command of [['config', 'check'], ['start']]) {
      const result = await runCli([...command, '--config', configFile], { cwd, timeoutMs: 15_000 });
      expect(result.code, `${command.join(' ')}: ${result.stderr}${result.stdout}`).toBe(2);
      expect(result.stderr).toContain(configFile);
      expect(result.stderr).toMatch(/not valid JSON/i);
    }
    await expectNothingStarted(dir, config);
  });

  it('rejects a JSON config that is not an object with exit 2', async () => {
    const { configFile } = await makeProject();
    await writeFile(configFile, '[1, 2, 3]');
    const result = await runCli(['config', 'check', '--config', configFile], { cwd: await elsewhere(), timeoutMs: 15_000 });
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain(configFile);
    expect(result.stderr).toMatch(/object/);
  });

  it('rejects a config file that does not exist in `config check` and `start` with exit 2, naming the file', { timeout: 40_000 }, async () => {
    const cwd = await elsewhere();
    const missing = path.join(cwd, 'no-such-dir', 'orchestrator.config.json');
    for (const command of [['config', 'check'], ['start']]) {
      const result = await runCli([...command, '--config', missing], { cwd, timeoutMs: 15_000 });
      expect(result.code, `${command.join(' ')}: ${result.stderr}${result.stdout}`).toBe(2);
      expect(result.stderr).toContain(missing);
      expect(result.stderr).toMatch(/does not exist/);
    }
    expect(await exists(path.join(cwd, 'no-such-dir'))).toBe(false);
  });

  it('accepts a valid config in `config check` with exit 0 and prints every path resolved against the config file\'s folder', async () => {
    const { dir, configFile } = await makeProject();
    const cwd = await elsewhere();

    const text = await runCli(['config', 'check', '--config', configFile], { cwd, timeoutMs: 15_000 });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain(path.join(dir, 'state/slotswap.json'));
    expect(text.stdout).toContain(path.join(dir, 'sites/sample-api'));
    expect(text.stdout).not.toContain(cwd);

    const json = await runCli(['config', 'check', '--config', configFile, '--json'], { cwd, timeoutMs: 15_000 });
    expect(json.code, json.stderr).toBe(0);
    const { config } = JSON.parse(json.stdout) as { config: Json & { slots: { a: Json; b: Json }; admin: Json; hotswap: Json } };
    const resolved = {
      file: config.file,
      stateFile: config.stateFile,
      releasesDir: config.releasesDir,
      bootstrap: config.bootstrap,
      tokenFile: config.admin.tokenFile,
      slotA: config.slots.a.dir,
      slotB: config.slots.b.dir,
      exeFile: config.hotswap.exeFile,
      updateFile: config.hotswap.updateFile,
    };
    expect(resolved).toEqual({
      file: configFile,
      stateFile: path.join(dir, 'state/slotswap.json'),
      releasesDir: path.join(dir, 'state/releases'),
      bootstrap: path.join(dir, 'sites/sample-api'),
      tokenFile: path.join(dir, 'state/admin.token'),
      slotA: path.join(dir, 'sites/a'),
      slotB: path.join(dir, 'sites/b'),
      exeFile: path.join(dir, 'deploy/server'),
      updateFile: path.join(dir, 'deploy/server_update'),
    });
    for (const value of Object.values(resolved)) expect(path.isAbsolute(value as string)).toBe(true);
    // Checking a config starts nothing.
    expect(await exists(path.join(dir, 'state/admin.token'))).toBe(false);
  });
});
