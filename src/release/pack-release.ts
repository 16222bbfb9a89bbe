// Packs a release folder into a gzipped tar stream (used by the CLI's deploy and the bootstrap release).
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import tar from 'tar-stream';

// A release is named by its archive's sha256 on every node: the same content packed anywhere, any time, packs the same.
// Extraction never restores mtimes, so nothing is lost.
const PACKED_MTIME = new Date(0);

async function addTree(pack: tar.Pack, root: string, rel: string): Promise<void> {
  const entries = await readdir(path.join(root, rel), { withFileTypes: true });
  // Code-unit order, not localeCompare: the machine's locale would reorder the entries (and change the sha256).
  entries.sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
  for (const entry of entries) {
    const relPath = rel ? `${rel}/${entry.name}` : entry.name;
    const full = path.join(root, relPath);
    const info = await lstat(full);
    // Without group and other write: a checkout under umask 002 packs as one under 022 (the slot folder is 0700 anyway).
    const mode = info.mode & 0o755;
    if (info.isDirectory()) {
      pack.entry({ name: `${relPath}/`, type: 'directory', mode, mtime: PACKED_MTIME });
      await addTree(pack, root, relPath);
    } else if (info.isSymbolicLink()) {
      pack.entry({ name: relPath, type: 'symlink', linkname: await readlink(full), mode, mtime: PACKED_MTIME });
    } else if (info.isFile()) {
      const sink = pack.entry({ name: relPath, type: 'file', size: info.size, mode, mtime: PACKED_MTIME });
      await pipeline(createReadStream(full), sink);
    }
  }
}

/** A .tgz stream of the folder's content, paths relative to the folder. */
export function packRelease(dir: string): Readable {
  const pack = tar.pack();
  addTree(pack, dir, '').then(
    () => pack.finalize(),
    (err: unknown) => pack.destroy(err as Error),
  );
  return pack.pipe(createGzip());
}
