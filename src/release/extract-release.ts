// Extracts an uploaded .tgz into a folder, refusing anything that could write outside it.
import { createReadStream, createWriteStream } from 'node:fs';
import { link, mkdir, realpath, symlink } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import { SlotswapError, describeValue } from '../errors.js';
import { diskFullError } from './disk-full.js';
import { ReleaseTree, type Unresolved } from './release-tree.js';

/** NAME_MAX of Linux's file systems: a longer part of a path cannot be created, whatever the archive says. */
const NAME_PART_MAX_BYTES = 255;

function refuse(name: string, why: string): SlotswapError {
  return new SlotswapError('invalid_input', `the release archive is unsafe: entry ${describeValue(name)} ${why}; rebuild the archive without it`);
}

const UNRESOLVED_WHY: Record<Unresolved, string> = {
  outside: 'goes through a link that leads outside the release folder',
  loop: 'goes through a loop of links',
  'not-a-folder': 'is inside a path that an earlier entry made a file',
};

/** The archive name without "./" and a trailing "/", or a refusal: no absolute paths, no "..", no NUL, no part too long to create. */
function entryName(raw: string): string {
  if (raw.includes('\0')) throw refuse(raw, 'has a NUL byte in its name');
  if (path.isAbsolute(raw) || /^[A-Za-z]:/.test(raw)) throw refuse(raw, 'has an absolute path');
  const segments = raw.split(/[\\/]+/).filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) throw refuse(raw, 'climbs out with ".."');
  for (const segment of segments) {
    const bytes = Buffer.byteLength(segment);
    if (bytes > NAME_PART_MAX_BYTES) throw refuse(raw, `has a name part of ${bytes} bytes, longer than the ${NAME_PART_MAX_BYTES} a file system allows`);
  }
  return segments.join('/');
}

export interface ExtractLimits {
  maxBytes: number;
}

/** Writes the entries; every path is resolved through the links extracted so far before anything is created. */
class Extraction {
  readonly tree = new ReleaseTree();
  readonly seen = new Map<string, number>();
  files = 0;
  bytes = 0;

  constructor(
    readonly realRoot: string,
    readonly limits: ExtractLimits,
  ) {}

  cutOff(): SlotswapError {
    return new SlotswapError('invalid_input', 'the release archive could not be read (it ends early: unexpected end of file); upload the whole .tgz again');
  }

  real(segments: readonly string[]): string {
    return path.join(this.realRoot, ...segments);
  }

  /** The real segments of the entry's folder, its folders created (never through a link), and the entry's own real segments. */
  async place(name: string): Promise<string[]> {
    const folder = this.tree.resolve([], path.posix.dirname(name), true);
    if (typeof folder === 'string') throw refuse(name, UNRESOLVED_WHY[folder]);
    for (let i = 1; i <= folder.length; i++) {
      const prefix = folder.slice(0, i);
      if (this.tree.kind(prefix) === 'dir') continue;
      await mkdir(this.real(prefix), { mode: 0o755 });
      this.tree.add(prefix, 'dir');
    }
    // Belt and braces: the folder really is where the tree says (nothing but us writes in the root).
    if ((await realpath(this.real(folder))) !== this.real(folder)) throw refuse(name, UNRESOLVED_WHY.outside);
    const own = [...folder, path.posix.basename(name)];
    return own;
  }

  async entry(entry: tar.ExtractEvents['entry'][1], name: string): Promise<void> {
    const { header } = entry;
    const own = await this.place(name);
    const existing = this.tree.kind(own);
    const mode = (header.mode ?? 0o644) & 0o777;
    if (existing !== undefined && !(existing === 'dir' && header.type === 'directory')) {
      throw refuse(name, `lands where an earlier entry already put a ${existing === 'dir' ? 'folder' : existing === 'file' ? 'file' : 'link'}`);
    }
    switch (header.type) {
      case 'directory':
        if (existing === undefined) await mkdir(this.real(own), { mode: mode | 0o700 });
        this.tree.add(own, 'dir');
        entry.resume();
        return;
      case 'file':
      case 'contiguous-file':
        this.bytes += header.size ?? 0;
        if (this.bytes > this.limits.maxBytes) throw refuse(name, `makes the release larger than ${this.limits.maxBytes} bytes unpacked`);
        // The archive may have failed while the folders were made: a destroyed (streamx) entry never closes again,
        // so piping it would wait for ever and hold the operation lock.
        if ((entry as { destroyed?: boolean }).destroyed) throw this.cutOff();
        // "wx": never follow or overwrite an existing entry.
        await pipeline(entry, createWriteStream(this.real(own), { flags: 'wx', mode }));
        this.tree.add(own, 'file');
        this.files++;
        return;
      case 'symlink': {
        const linkname = header.linkname ?? '';
        if (path.isAbsolute(linkname)) throw refuse(name, `is a symlink to the absolute path ${JSON.stringify(linkname)}`);
        // Resolved against the real path of its folder, through the links extracted so far.
        const target = this.tree.resolve(own.slice(0, -1), linkname, true);
        if (target === 'outside') throw refuse(name, `is a symlink to ${JSON.stringify(linkname)}, outside the release folder`);
        if (target === 'loop') throw refuse(name, `is a symlink to ${JSON.stringify(linkname)}, a loop of links`);
        await symlink(linkname, this.real(own));
        this.tree.add(own, 'symlink', { linkname, entry: name });
        entry.resume();
        return;
      }
      case 'link': {
        const linkname = entryName(header.linkname ?? '');
        const target = this.tree.resolve([], linkname, true);
        if (typeof target === 'string' || this.tree.kind(target) !== 'file') {
          throw refuse(name, `is a hard link to ${JSON.stringify(linkname)}, which is not a file extracted earlier in the archive`);
        }
        await link(this.real(target), this.real(own));
        this.tree.add(own, 'file');
        entry.resume();
        return;
      }
      default:
        throw refuse(name, `is a ${header.type ?? 'unknown'} entry; only files, folders and links inside the release are allowed`);
    }
  }

  /** A later entry can turn a folder into a link under an earlier link's target: check every link once all are there. */
  checkLinks(): void {
    for (const { folder, linkname, entry } of this.tree.links()) {
      const target = this.tree.resolve(folder, linkname, true);
      if (target === 'outside') throw refuse(entry, `is a symlink to ${JSON.stringify(linkname)}, outside the release folder`);
      if (target === 'loop') throw refuse(entry, `is a symlink to ${JSON.stringify(linkname)}, a loop of links`);
    }
  }
}

function duplicateError(name: string, times: number): SlotswapError {
  return new SlotswapError('invalid_input', `the release archive is ambiguous: entry ${JSON.stringify(name)} appears ${times} times in the archive; rebuild it with each path once`);
}

/** Extracts archiveFile into the existing empty folder root. */
export async function extractRelease(archiveFile: string, root: string, limits: ExtractLimits): Promise<{ files: number; bytes: number }> {
  const realRoot = await realpath(root);
  const job = new Extraction(realRoot, limits);
  const extract = tar.extract();
  const gunzip = createGunzip();
  const source = createReadStream(archiveFile);
  // The entry being written: a damaged archive must end its stream too, or the write would wait forever.
  let current: { destroy(error?: Error): unknown } | null = null;
  let readFailed: unknown = null;
  const reading = pipeline(source, gunzip, extract).catch((err: unknown) => {
    readFailed = err;
    current?.destroy(err as Error);
    if (err instanceof SlotswapError) throw err;
    const e = err as NodeJS.ErrnoException;
    const why = e.code?.startsWith('Z_') ? 'is not a valid gzip file' : `could not be read (${e.message})`;
    throw new SlotswapError('invalid_input', `the release archive ${why}; upload a .tgz made with "tar czf" or by slotswap deploy <folder>`);
  });
  const writing = (async () => {
    // Once a path repeats, nothing more is written: the rest is only counted, for the message.
    let duplicate: string | null = null;
    for await (const entry of extract) {
      current = entry;
      const name = entryName(entry.header.name);
      if (name === '') {
        entry.resume();
        continue;
      }
      const times = (job.seen.get(name) ?? 0) + 1;
      job.seen.set(name, times);
      if (times > 1 && duplicate === null) duplicate = name;
      if (duplicate !== null) {
        entry.resume();
        continue;
      }
      // A stream destroyed before it is piped would leave the pipe waiting: stop here instead.
      if (readFailed !== null) throw readFailed;
      await job.entry(entry, name);
    }
    if (duplicate !== null) throw duplicateError(duplicate, job.seen.get(duplicate) ?? 2);
    job.checkLinks();
  })().catch((err: unknown) => {
    throw diskFullError(err, path.dirname(root), 'unpacking the release') ?? err;
  });
  // A refused entry stops the reading side too, so neither promise is left pending.
  writing.catch((err: unknown) => {
    source.destroy();
    extract.destroy(err as Error);
  });
  const [read, wrote] = await Promise.allSettled([reading, writing]);
  const failures = [wrote, read].flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
  if (failures.length > 0) throw failures.find((f) => f instanceof SlotswapError) ?? failures[0];
  return { files: job.files, bytes: job.bytes };
}
