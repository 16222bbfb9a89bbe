import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, readdir, readlink, mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { extractRelease } from '../../src/release/extract-release.js';
import { packRelease } from '../../src/release/pack-release.js';
import { SlotswapError } from '../../src/errors.js';
import { writeTarball, type TarEntry } from '../helpers/tarball.js';

type Entry = TarEntry;

async function tarball(entries: Entry[]): Promise<string> {
  return writeTarball(path.join(await mkdtemp(path.join(os.tmpdir(), 'slotswap-tar-')), 'release.tgz'), entries);
}

async function extractInto(file: string): Promise<{ root: string; outside: string }> {
  const base = await mkdtemp(path.join(os.tmpdir(), 'slotswap-extract-'));
  const root = path.join(base, 'slot');
  await mkdir(root);
  await extractRelease(file, root, { maxBytes: 1_000_000 });
  return { root, outside: base };
}

async function refusal(entries: Entry[]): Promise<string> {
  const base = await mkdtemp(path.join(os.tmpdir(), 'slotswap-extract-'));
  const root = path.join(base, 'slot');
  await mkdir(root);
  const error = await extractRelease(await tarball(entries), root, { maxBytes: 1_000_000 }).then(
    () => null,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(SlotswapError);
  expect((error as SlotswapError).exitCode).toBe(2);
  // Nothing was written beside the slot folder.
  expect(await readdir(base)).toEqual(['slot']);
  return (error as SlotswapError).message;
}

describe('release extraction', () => {
  it('round-trips a folder packed by slotswap, keeping modes and inner symlinks', async () => {
    const src = await mkdtemp(path.join(os.tmpdir(), 'slotswap-src-'));
    const file = await tarball([
      { name: 'release.json', content: '{"name":"x"}' },
      { name: 'bin/', type: 'directory', mode: 0o755 },
      { name: 'bin/run', content: '#!/bin/sh\n', mode: 0o755 },
      { name: 'current', type: 'symlink', linkname: 'bin/run' },
    ]);
    const { root } = await extractInto(file);
    expect(await readFile(path.join(root, 'release.json'), 'utf8')).toBe('{"name":"x"}');
    expect(await readlink(path.join(root, 'current'))).toBe('bin/run');
    const packed = path.join(src, 'again.tgz');
    await pipeline(packRelease(root), createWriteStream(packed));
    const again = await extractInto(packed);
    expect((await readdir(again.root)).sort()).toEqual(['bin', 'current', 'release.json']);
  });

  it('refuses an entry that climbs out with ../', async () => {
    expect(await refusal([{ name: '../evil.txt', content: 'x' }])).toMatch(/"\.\.\/evil\.txt" climbs out/);
    expect(await refusal([{ name: 'a/../../evil.txt', content: 'x' }])).toMatch(/climbs out/);
  });

  it('refuses a name part longer than a file system allows, naming its length instead of a broken stream', async () => {
    const message = await refusal([{ name: `notes/${'c'.repeat(300)}.txt`, content: 'x' }]);
    expect(message).toMatch(/has a name part of 304 bytes, longer than the 255 a file system allows; rebuild the archive without it/);
    // The name is cut for the message, not echoed whole.
    expect(message.length).toBeLessThan(300);
  });

  it('refuses an absolute path', async () => {
    expect(await refusal([{ name: '/tmp/evil.txt', content: 'x' }])).toMatch(/absolute path/);
  });

  it('refuses a symlink pointing outside, and a file written through a link that leads outside', async () => {
    expect(await refusal([{ name: 'out', type: 'symlink', linkname: '../../etc' }])).toMatch(/outside the release folder/);
    expect(await refusal([{ name: 'abs', type: 'symlink', linkname: '/etc' }])).toMatch(/absolute path/);
    expect(await refusal([{ name: 'here', type: 'symlink', linkname: '.' }, { name: 'up', type: 'symlink', linkname: 'here/..' }, { name: 'up/evil.txt', content: 'x' }])).toMatch(/outside/);
  });

  it('refuses a hard link to a file outside', async () => {
    expect(await refusal([{ name: 'passwd', type: 'link', linkname: '../../../../etc/passwd' }])).toMatch(/climbs out/);
  });

  it('refuses device files and fifos', async () => {
    expect(await refusal([{ name: 'dev', type: 'character-device', devmajor: 1, devminor: 3 }])).toMatch(/character-device entry/);
    expect(await refusal([{ name: 'pipe', type: 'fifo' }])).toMatch(/fifo entry/);
  });

  it('refuses a file that is not gzip', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'slotswap-bad-'));
    const file = path.join(dir, 'x.tgz');
    await pipeline(async function* () {
      yield Buffer.from('this is not a tarball at all');
    }, createWriteStream(file));
    const root = path.join(dir, 'slot');
    await mkdir(root);
    await expect(extractRelease(file, root, { maxBytes: 1000 })).rejects.toThrow(/not a valid gzip file/);
  });
});

describe('release extraction of a damaged archive', () => {
  it('refuses a truncated archive promptly instead of waiting forever', async () => {
    const file = await tarball([{ name: 'release.json', content: '{}' }, { name: 'big.txt', content: 'y'.repeat(200_000) }]);
    const bytes = await readFile(file);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'slotswap-cut-'));
    const cut = path.join(dir, 'cut.tgz');
    await pipeline(async function* () {
      yield bytes.subarray(0, bytes.length >> 1);
    }, createWriteStream(cut));
    const root = path.join(dir, 'slot');
    await mkdir(root);
    await expect(extractRelease(cut, root, { maxBytes: 10_000_000 })).rejects.toThrow(/not a valid gzip file|could not be read/);
  });

  it('refuses an archive cut off at any byte, and never waits for ever (a hang here holds the operation lock)', { timeout: 30_000 }, async () => {
    const bytes = await readFile(await tarball([{ name: 'release.json', content: '{"name":"x"}' }, { name: 'big.txt', content: 'y'.repeat(50_000) }]));
    const dir = await mkdtemp(path.join(os.tmpdir(), 'slotswap-cuts-'));
    const outcomes = new Set<string>();
    // Before the fix some cut points (4 in 129 here) hung: the archive failed while the entry's folders were made.
    for (let length = 20; length < bytes.length; length++) {
      const cut = path.join(dir, `cut-${length}.tgz`);
      await writeFile(cut, bytes.subarray(0, length));
      const root = path.join(dir, `slot-${length}`);
      await mkdir(root);
      const error = await extractRelease(cut, root, { maxBytes: 10_000_000 }).then(() => null, (err: unknown) => err as SlotswapError);
      expect(error, `cut at ${length} of ${bytes.length} bytes`).toBeInstanceOf(SlotswapError);
      outcomes.add(error!.code);
    }
    expect([...outcomes]).toEqual(['invalid_input']);
  });
});

/** Extracts into base/slot and returns the refusal (or null) plus what now exists beside the slot folder. */
async function attempt(entries: Entry[]): Promise<{ error: SlotswapError | null; beside: string[]; root: string }> {
  const base = await mkdtemp(path.join(os.tmpdir(), 'slotswap-extract-'));
  const root = path.join(base, 'slot');
  await mkdir(root);
  const error = await extractRelease(await tarball(entries), root, { maxBytes: 1_000_000 }).then(
    () => null,
    (err: unknown) => err as SlotswapError,
  );
  return { error, beside: (await readdir(base)).sort(), root };
}

describe('release extraction resolves links by what was really extracted', () => {
  it('refuses a link that climbs out through a chain of links to "." although it looks inside', async () => {
    const { error } = await attempt([
      { name: 'x', type: 'symlink', linkname: '.' },
      { name: 'x/x/x/x/etc', type: 'symlink', linkname: '../../../../etc' },
    ]);
    expect(error?.message).toMatch(/"x\/x\/x\/x\/etc".*outside the release folder/);
    expect(error?.exitCode).toBe(2);
  });

  it('refuses before creating any folder outside the release through a link', async () => {
    const { error, beside } = await attempt([
      { name: 'x', type: 'symlink', linkname: '.' },
      { name: 'x/x/x/up', type: 'symlink', linkname: '..' },
      { name: 'x/x/x/up/escaped/evil.txt', content: 'x' },
    ]);
    expect(error).toBeInstanceOf(SlotswapError);
    expect(beside).toEqual(['slot']);
  });

  it('refuses a link whose target left the release only after a later entry turned a folder into a link', async () => {
    const { error, beside } = await attempt([
      { name: 'later', type: 'symlink', linkname: 'd/../outside' },
      { name: 'd', type: 'symlink', linkname: '.' },
    ]);
    expect(error?.message).toMatch(/"later".*outside the release folder/);
    expect(beside).toEqual(['slot']);
  });

  it('refuses a hard link to anything but a file extracted earlier in the archive', async () => {
    const { error } = await attempt([
      { name: 'x', type: 'symlink', linkname: '.' },
      { name: 'h', type: 'link', linkname: 'x/x/x' },
    ]);
    expect(error?.message).toMatch(/"h" is a hard link to "x\/x\/x", which is not a file extracted earlier/);
  });

  it('keeps links that stay inside: to a folder, through a folder link, and a hard link to an extracted file', async () => {
    const { error, root } = await attempt([
      { name: 'release.json', content: '{}' },
      { name: 'lib/', type: 'directory' },
      { name: 'lib/a.js', content: 'a' },
      { name: 'current', type: 'symlink', linkname: 'lib' },
      { name: 'current/b.js', content: 'b' },
      { name: 'lib/up', type: 'symlink', linkname: '../release.json' },
      { name: 'same', type: 'link', linkname: 'lib/a.js' },
    ]);
    expect(error).toBeNull();
    expect(await readFile(path.join(root, 'lib/b.js'), 'utf8')).toBe('b');
    expect(await readFile(path.join(root, 'same'), 'utf8')).toBe('a');
  });
});

describe('release extraction of an archive with an entry twice', () => {
  it('names the entry and how often it appears', async () => {
    const { error } = await attempt([
      { name: 'release.json', content: '{"a":1}' },
      { name: 'server.mjs', content: '' },
      { name: './release.json', content: '{"a":2}' },
      { name: 'release.json', content: '{"a":3}' },
    ]);
    expect(error?.code).toBe('invalid_input');
    expect(error?.message).toMatch(/"release\.json" appears 3 times in the archive/);
  });
});
