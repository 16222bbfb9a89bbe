import { mkdtemp, mkdir, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readReleaseManifest } from '../../src/release/release-manifest.js';
import { SlotswapError } from '../../src/errors.js';

const SECRET = 'root:$6$secret-hash-never-echo:19000:0:99999';

async function release(): Promise<{ dir: string; outside: string }> {
  const base = await mkdtemp(path.join(os.tmpdir(), 'slotswap-manifest-'));
  const dir = path.join(base, 'release');
  await mkdir(dir);
  const outside = path.join(base, 'shadow');
  await writeFile(outside, SECRET);
  return { dir, outside };
}

async function refusal(dir: string): Promise<SlotswapError> {
  const error = await readReleaseManifest(dir).then(
    () => null,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(SlotswapError);
  return error as SlotswapError;
}

describe('reading release.json', () => {
  it('refuses a release.json that is a link, without reading through it', async () => {
    const { dir, outside } = await release();
    await symlink(outside, path.join(dir, 'release.json'));
    const error = await refusal(dir);
    expect(error.message).toMatch(/release\.json must be a regular file.*got a symlink/);
    expect(error.message).not.toContain('root:');
  });

  it('never echoes the bytes of a release.json that is not JSON', async () => {
    const { dir } = await release();
    await writeFile(path.join(dir, 'release.json'), SECRET);
    const error = await refusal(dir);
    expect(error.message).toMatch(/release\.json is not valid JSON/);
    expect(error.message).not.toContain('root:');
    expect(error.message).not.toContain('secret');
  });

  it('refuses a folder named release.json', async () => {
    const { dir } = await release();
    await mkdir(path.join(dir, 'release.json'));
    expect((await refusal(dir)).message).toMatch(/regular file.*got a folder/);
  });

  it('accepts a version with build metadata', async () => {
    const { dir } = await release();
    await writeFile(path.join(dir, 'release.json'), JSON.stringify({ name: 'x', version: '1.8.0+build.5', start: ['node', 's.mjs'] }));
    expect((await readReleaseManifest(dir)).version).toBe('1.8.0+build.5');
  });
});
