import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import tar from 'tar-stream';
import { createGunzip } from 'node:zlib';
import { packRelease } from '../../src/release/pack-release.js';

let dir: string;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function sha256Of(folder: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of packRelease(folder)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function touchAll(folder: string, when: Date): Promise<void> {
  for (const rel of ['', 'lib', 'lib/server.js', 'release.json']) await utimes(path.join(folder, rel), when, when);
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
    await touchAll(one, new Date('2026-11-30T10:00:00Z'));
    await touchAll(two, new Date('2026-12-01T10:00:07Z'));
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
    const names: string[] = [];
    const extract = tar.extract();
    extract.on('entry', (header, stream, next) => {
      names.push(header.name);
      stream.on('end', next);
      stream.resume();
    });
    await new Promise<void>((resolve, reject) => {
      extract.on('finish', resolve);
      extract.on('error', reject);
      packRelease(dir).pipe(createGunzip()).pipe(extract);
    });
    expect(names).toEqual(['B.txt', 'a.txt', 'aa.txt', 'release.json', 'z.txt']);
  });
});
