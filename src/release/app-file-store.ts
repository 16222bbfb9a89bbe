// Each version's client files, copied under <state folder>/app-files/<version>/ (files/ and files.json), so they
// outlive the slot folder: a version stays whole while its slot drains and for clients.keepAppVersions live versions after.
import { copyFile, mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { FILE_LIST_NAME, type ClientFile } from './client-files.js';

export interface StoredFileList {
  version: string;
  files: ClientFile[];
}

export function appFilesRoot(stateFile: string): string {
  return path.join(path.dirname(stateFile), 'app-files');
}

/** The folder a version's files are served from (its files/ subfolder) and its list (files.json beside it). */
export function versionFolder(root: string, version: string): { dir: string; files: string; list: string } {
  const dir = path.join(root, version);
  return { dir, files: path.join(dir, 'files'), list: path.join(dir, FILE_LIST_NAME) };
}

export async function readStoredList(root: string, version: string): Promise<StoredFileList | null> {
  try {
    return JSON.parse(await readFile(versionFolder(root, version).list, 'utf8')) as StoredFileList;
  } catch {
    return null;
  }
}

const sameList = (x: readonly ClientFile[], y: readonly ClientFile[]) => x.length === y.length && x.every((f, i) => f.path === y[i]!.path && f.sha256 === y[i]!.sha256 && f.size === y[i]!.size);

/**
 * Copies the listed files from `source` into the version's folder, whole or not at all (temp folder, then rename).
 * A version already stored with the same list is kept as it is: clients may be reading it right now.
 */
export async function storeVersion(root: string, version: string, source: string, files: readonly ClientFile[]): Promise<void> {
  const existing = await readStoredList(root, version);
  if (existing !== null && sameList(existing.files, files)) return;
  await mkdir(root, { recursive: true, mode: 0o755 });
  const incoming = path.join(root, `.incoming-${version}-${randomBytes(4).toString('hex')}`);
  try {
    const target = path.join(incoming, 'files');
    await mkdir(target, { recursive: true, mode: 0o755 });
    for (const file of files) {
      const to = path.join(target, ...file.path.split('/'));
      await mkdir(path.dirname(to), { recursive: true, mode: 0o755 });
      await copyFile(path.join(source, ...file.path.split('/')), to);
    }
    const list: StoredFileList = { version, files: [...files] };
    await writeFile(path.join(incoming, FILE_LIST_NAME), `${JSON.stringify(list)}\n`, { mode: 0o644 });
    const { dir } = versionFolder(root, version);
    const retired = path.join(root, `.retired-${version}-${randomBytes(4).toString('hex')}`);
    const hadOld = await rename(dir, retired).then(
      () => true,
      () => false,
    );
    await rename(incoming, dir);
    // An open download keeps reading its file descriptor: removing the replaced version cuts nobody off.
    if (hadOld) await rm(retired, { recursive: true, force: true });
  } catch (err) {
    await rm(incoming, { recursive: true, force: true });
    throw err;
  }
}

/** Removes every stored version not in `keep`, and leftovers of interrupted copies; returns the versions removed. */
export async function pruneVersions(root: string, keep: ReadonlySet<string>): Promise<string[]> {
  const names = await readdir(root).catch(() => [] as string[]);
  const removed: string[] = [];
  for (const name of names) {
    if (keep.has(name)) continue;
    await rm(path.join(root, name), { recursive: true, force: true }).catch(() => {});
    if (!name.startsWith('.')) removed.push(name);
  }
  return removed;
}
