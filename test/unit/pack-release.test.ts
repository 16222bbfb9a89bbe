import { createHash } from 'node:crypto';
import { chmod, cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import tar from 'tar-stream';
import { createGunzip } from 'node:zlib';
import { packRelease } from '../../src/release/pack-release.js';
import { touchTree } from '../helpers/touch-tree.js';

let dir: string;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function sha256Of(folder: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of packRelease(folder)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The entries of the folder's packed archive, in order, with their modes in octal. */
async function entriesOf(folder: string): Promise<{ name: string; mode: string }[]> {
  const entries: { name: string; mode: string }[] = [];
  const extract = tar.extract();
  extract.on('entry', (header, stream, next) => {
    entries.push({ name: header.name, mode: (header.mode ?? 0).toString(8) });
    stream.on('end', next);
    stream.resume();
  });
  await new Promise<void>((resolve, reject) => {
    extract.on('finish', resolve);
    extract.on('error', reject);
    packRelease(folder).pipe(createGunzip()).pipe(extract);
  });
  return entries;
}

describe('packRelease', () => {
  it('gives the same archive for the same content whenever its files were written (a release is named by its sha256 on every node)', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'slotswap-pack-'));
    const one = path.join(dir, 'one');
    await mkdir(path.join(one, 'lib'), { recursive: true });
    await writeFile(path.join(one, 'release.json'), '{"version":"1.0.0"}\n');
    await writeFile(path.join(one, 'lib/server.js'), 'console.log("up")\n');
    const two = path.join(dir, 'two');
    await cp(one, two, { recursive: true });
    // As two machines that checked the same release out a day apart.
    await touchTree(one, new Date('2026-11-30T10:00:00Z'));
    await touchTree(two, new Date('2026-12-01T10:00:07Z'));
    expect(await sha256Of(two)).toBe(await sha256Of(one));
  });

  it('gives a different archive when one byte of the content differs', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'slotswap-pack-'));
    const one = path.join(dir, 'one');
    await mkdir(one, { recursive: true });
    await writeFile(path.join(one, 'release.json'), '{"version":"1.0.0"}\n');
    const before = await sha256Of(one);
    await writeFile(path.join(one, 'release.json'), '{"version":"1.0.1"}\n');
    expect(await sha256Of(one)).not.toBe(before);
  });

  it('orders the entries by code unit, as on a machine in any locale (localeCompare put a.txt before B.txt in en, and z.txt before aa.txt in da)', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'slotswap-pack-'));
    for (const name of ['z.txt', 'aa.txt', 'a.txt', 'B.txt', 'release.json']) await writeFile(path.join(dir, name), `${name}\n`);
    expect((await entriesOf(dir)).map((e) => e.name)).toEqual(['B.txt', 'a.txt', 'aa.txt', 'release.json', 'z.txt']);
  });

  it('gives the same archive whatever umask the files were written under, and never widens a mode', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'slotswap-pack-'));
    const one = path.join(dir, 'one');
    await mkdir(one);
    await writeFile(path.join(one, 'release.json'), '{"version":"1.0.0"}\n');
    await writeFile(path.join(one, 'start.sh'), '#!/bin/sh\n');
    await writeFile(path.join(one, 'secret.env'), 'TOKEN=x\n');
    const two = path.join(dir, 'two');
    await cp(one, two, { recursive: true });
    // one: as checked out under umask 022; two: under umask 002 (group-writable).
    for (const [folder, file, dirMode] of [[one, 0o644, 0o755], [two, 0o664, 0o775]] as const) {
      await chmod(folder, dirMode);
      await chmod(path.join(folder, 'release.json'), file);
      await chmod(path.join(folder, 'start.sh'), file | 0o111);
      await chmod(path.join(folder, 'secret.env'), 0o600);
    }
    expect(await sha256Of(two)).toBe(await sha256Of(one));
    expect(Object.fromEntries((await entriesOf(two)).map((e) => [e.name, e.mode]))).toEqual({ 'release.json': '644', 'secret.env': '600', 'start.sh': '755' });
  });
});
