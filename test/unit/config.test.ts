import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load-config.js';
import { SlotswapError } from '../../src/errors.js';

async function folderWithBootstrap(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'slotswap-config-'));
  await mkdir(path.join(dir, 'sites/sample-api'), { recursive: true });
  await writeFile(path.join(dir, 'sites/sample-api/release.json'), '{}');
  return dir;
}

async function problemsOf(raw: unknown): Promise<string> {
  const dir = await folderWithBootstrap();
  try {
    await validateConfig(raw, path.join(dir, 'orchestrator.config.json'));
  } catch (err) {
    expect(err).toBeInstanceOf(SlotswapError);
    expect((err as SlotswapError).exitCode).toBe(2);
    return (err as SlotswapError).message;
  }
  throw new Error('expected the config to be rejected');
}

describe('config validation', () => {
  it('takes "bootstrap": "" for none, needing no folder, and refuses an empty path elsewhere as a path', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'slotswap-config-'));
    const config = await validateConfig({ bootstrap: '' }, path.join(dir, 'orchestrator.config.json'));
    expect(config.bootstrap).toBe('');
    expect(await problemsOf({ stateFile: '' })).toContain('"stateFile": expected a path (a non-empty string), got ""');
    expect(await problemsOf({ bootstrap: 3 })).toContain('"bootstrap": expected a path, or "" for none, got 3');
  });

  it('fills every default and resolves paths against the config file folder', async () => {
    const dir = await folderWithBootstrap();
    const config = await validateConfig({}, path.join(dir, 'orchestrator.config.json'));
    expect(config.proxy.port).toBe(8080);
    expect(config.drain.idleMs).toBe(2000);
    expect(config.stateFile).toBe(path.join(dir, 'state/slotswap.json'));
    expect(config.slots.b.dir).toBe(path.join(dir, 'sites/b'));
    expect(config.proxy.publicUrl).toBe('http://localhost:8080');
  });

  it('rejects an unknown key with its full path', async () => {
    expect(await problemsOf({ health: { timout: 5 } })).toMatch(/"health\.timout": unknown key/);
  });

  it('rejects a wrong type naming the key, the expectation and the value', async () => {
    expect(await problemsOf({ drain: { idleMs: '2s' } })).toMatch(/"drain\.idleMs": expected an integer from 0 to \d+, got "2s"/);
    expect(await problemsOf({ mode: 'canary' })).toMatch(/"mode": expected one of "bluegreen", "hotswap", got "canary"/);
  });

  it('rejects duplicate and overlapping ports', async () => {
    expect(await problemsOf({ slots: { a: { port: 9001 }, b: { port: 9001 } } })).toMatch(/"slots\.b\.port": port 9001 overlaps "slots\.a\.port"/);
    expect(await problemsOf({ instances: 2, slots: { a: { port: 9001 }, b: { port: 9002 } } })).toMatch(/overlaps/);
    expect(await problemsOf({ proxy: { port: 9002 } })).toMatch(/"proxy\.port": port 9002 overlaps "slots\.b\.port"/);
  });

  it('rejects a missing bootstrap folder naming the key', async () => {
    expect(await problemsOf({ bootstrap: 'nowhere' })).toMatch(/"bootstrap": expected a release folder with a release\.json/);
  });
});
