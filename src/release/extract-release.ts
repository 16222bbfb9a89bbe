// Extracts an uploaded .tgz into a folder, refusing anything that could write outside it.
import { createReadStream, createWriteStream } from 'node:fs';
import { link, mkdir, realpath, symlink } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import { SlotswapError } from '../errors.js';

function refuse(name: string, why: string): SlotswapError {
  return new SlotswapError('invalid_input', `the release archive is unsafe: entry ${JSON.stringify(name)} ${why}; rebuild the archive without it`);
}

/** Resolves an archive path inside root, or throws: no absolute paths, no "..", no NUL. */
function insidePath(root: string, name: string): string {
  if (name.includes('\0')) throw refuse(name, 'has a NUL byte in its name');
  if (path.isAbsolute(name) || /^[A-Za-z]:/.test(name)) throw refuse(name, 'has an absolute path');
  const segments = name.split(/[\\/]+/);
  if (segments.includes('..')) throw refuse(name, 'climbs out with ".."');
  const target = path.resolve(root, name);
  if (target !== root && !target.startsWith(root + path.sep)) throw refuse(name, 'points outside the release folder');
  return target;
}

async function assertRealInside(realRoot: string, dir: string, name: string): Promise<void> {
  const real = await realpath(dir);
  if (real !== realRoot && !real.startsWith(realRoot + path.sep)) throw refuse(name, 'goes through a link that leads outside the release folder');
}

export interface ExtractLimits {
  maxBytes: number;
}

/** Extracts archiveFile into the existing empty folder root. */
export async function extractRelease(archiveFile: string, root: string, limits: ExtractLimits): Promise<{ files: number; bytes: number }> {
  const realRoot = await realpath(root);
  const extract = tar.extract();
  let files = 0;
  let bytes = 0;
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
    for await (const entry of extract) {
      current = entry;
      const { header } = entry;
      const name = header.name.replace(/^\.\/+/, '');
      if (name === '' || name === '.') {
        entry.resume();
        continue;
      }
      const target = insidePath(realRoot, name);
      await mkdir(path.dirname(target), { recursive: true });
      await assertRealInside(realRoot, path.dirname(target), name);
      const mode = (header.mode ?? 0o644) & 0o777;
      switch (header.type) {
        case 'directory':
          await mkdir(target, { recursive: true, mode: mode | 0o700 });
          await assertRealInside(realRoot, target, name);
          entry.resume();
          break;
        case 'file':
        case 'contiguous-file': {
          bytes += header.size ?? 0;
          if (bytes > limits.maxBytes) throw refuse(name, `makes the release larger than ${limits.maxBytes} bytes unpacked`);
          // A stream destroyed before it is piped would leave the pipe waiting: stop here instead.
          if (readFailed !== null) throw readFailed;
          // "wx": never follow or overwrite an existing entry (a link planted earlier in the archive).
          await pipeline(entry, createWriteStream(target, { flags: 'wx', mode }));
          files++;
          break;
        }
        case 'symlink': {
          const linkname = header.linkname ?? '';
          if (path.isAbsolute(linkname)) throw refuse(name, `is a symlink to the absolute path ${JSON.stringify(linkname)}`);
          const resolved = path.resolve(path.dirname(target), linkname);
          if (resolved !== realRoot && !resolved.startsWith(realRoot + path.sep)) throw refuse(name, `is a symlink to ${JSON.stringify(linkname)}, outside the release folder`);
          await symlink(linkname, target);
          entry.resume();
          break;
        }
        case 'link': {
          const linkTarget = insidePath(realRoot, (header.linkname ?? '').replace(/^\.\/+/, ''));
          await assertRealInside(realRoot, path.dirname(linkTarget), name);
          await link(linkTarget, target);
          entry.resume();
          break;
        }
        default:
          throw refuse(name, `is a ${header.type ?? 'unknown'} entry; only files, folders and links inside the release are allowed`);
      }
    }
  })();
  // A refused entry stops the reading side too, so neither promise is left pending.
  writing.catch((err: unknown) => {
    source.destroy();
    extract.destroy(err as Error);
  });
  const [read, wrote] = await Promise.allSettled([reading, writing]);
  const failures = [wrote, read].flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
  if (failures.length > 0) throw failures.find((f) => f instanceof SlotswapError) ?? failures[0];
  return { files, bytes };
}
