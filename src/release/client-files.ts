// A release's client files (release.json "client", default client/): read into a sorted list with sha256, compared by path.
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { SlotswapError } from '../errors.js';
import { sha256File } from './sha256-file.js';

export interface ClientFile {
  /** Relative to the client folder, forward slashes. */
  path: string;
  size: number;
  sha256: string;
}

export interface ClientFiles {
  /** The client folder as found in the release (relative to its root). */
  folder: string;
  files: ClientFile[];
  /** Links and special files found and left out: a client folder never serves anything but its own regular files. */
  skipped: string[];
}

export interface FileListDiff {
  changed: ClientFile[];
  removed: string[];
}

export const DEFAULT_CLIENT_FOLDER = 'client';
/** The list itself is served at <version>/files.json: a client file of that name would be shadowed. */
export const FILE_LIST_NAME = 'files.json';

/** Sorted by code unit, so every platform computes the same order. */
const byPath = (x: { path: string }, y: { path: string }) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0);

/** The client folder named by release.json as safe segments; refused when it climbs out or is absolute. */
export function clientFolder(value: string | null): string {
  const raw = value ?? DEFAULT_CLIENT_FOLDER;
  const segments = raw.split(/[\\/]+/).filter((s) => s !== '' && s !== '.');
  if (path.isAbsolute(raw) || segments.length === 0 || segments.includes('..') || raw.includes('\0')) {
    throw new SlotswapError('invalid_input', `release.json "client": expected a folder inside the release like "client", got ${JSON.stringify(raw)}`);
  }
  return segments.join('/');
}

async function walk(root: string, rel: string, out: ClientFiles): Promise<void> {
  const entries = await readdir(path.join(root, rel), { withFileTypes: true });
  for (const entry of entries) {
    const relPath = rel ? `${rel}/${entry.name}` : entry.name;
    // lstat, not the dirent alone: a link is never followed, whatever it points to.
    const info = await lstat(path.join(root, relPath));
    if (info.isDirectory()) await walk(root, relPath, out);
    else if (info.isFile()) out.files.push({ path: relPath, size: info.size, sha256: await sha256File(path.join(root, relPath)) });
    else out.skipped.push(relPath);
  }
}

/** The release's client files, or null when it has no client folder (a release without one behaves as before). */
export async function readClientFiles(releaseDir: string, folderSetting: string | null): Promise<ClientFiles | null> {
  const folder = clientFolder(folderSetting);
  const full = path.join(releaseDir, ...folder.split('/'));
  const info = await lstat(full).catch(() => null);
  if (info === null) {
    if (folderSetting !== null) throw new SlotswapError('invalid_input', `release.json "client" names ${JSON.stringify(folder)}, but the release has no such folder; add it or remove "client"`);
    return null;
  }
  if (!info.isDirectory()) throw new SlotswapError('invalid_input', `the client folder ${JSON.stringify(folder)} must be a real folder in the release, got ${info.isSymbolicLink() ? 'a symlink' : 'a file'}`);
  const out: ClientFiles = { folder, files: [], skipped: [] };
  await walk(full, '', out);
  out.files.sort(byPath);
  out.skipped.sort();
  if (out.files.some((f) => f.path === FILE_LIST_NAME)) {
    throw new SlotswapError('invalid_input', `the client folder has a file named ${FILE_LIST_NAME} at its top; that name is slotswap's file list (/_app/<version>/${FILE_LIST_NAME}), rename the file`);
  }
  return out;
}

/** What a client on `older` downloads to reach `newer`: files new or different, and the paths that are gone. */
export function diffFileLists(older: readonly ClientFile[], newer: readonly ClientFile[]): FileListDiff {
  const before = new Map(older.map((f) => [f.path, f]));
  const after = new Set(newer.map((f) => f.path));
  const changed = newer.filter((f) => {
    const old = before.get(f.path);
    return old === undefined || old.sha256 !== f.sha256 || old.size !== f.size;
  });
  const removed = older.filter((f) => !after.has(f.path)).map((f) => f.path);
  return { changed, removed: removed.sort() };
}

export function totalBytes(files: readonly ClientFile[]): number {
  return files.reduce((sum, f) => sum + f.size, 0);
}

/** "812 bytes", "4.9 KB", "48.1 MB": a small client app is not "0.0 MB". */
export function describeSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} byte${bytes === 1 ? '' : 's'}`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** "client files: 212 files, 48.1 MB, 3 changed since 1.1.0" (the deploy's check line). */
export function describeClientFiles(files: readonly ClientFile[], since: { version: string; files: readonly ClientFile[] | null } | null): string {
  const base = `client files: ${files.length} file${files.length === 1 ? '' : 's'}, ${describeSize(totalBytes(files))}`;
  if (since === null) return base;
  if (since.files === null) return `${base}, all new (${since.version} had none)`;
  const diff = diffFileLists(since.files, files);
  return `${base}, ${diff.changed.length} changed since ${since.version}${diff.removed.length > 0 ? `, ${diff.removed.length} removed` : ''}`;
}
