// Sets the times of a folder and everything under it: a copy of a release as if checked out at another time.
import { readdir, utimes } from 'node:fs/promises';
import path from 'node:path';

export async function touchTree(dir: string, when: Date): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) await utimes(path.join(entry.parentPath, entry.name), when, when);
  await utimes(dir, when, when);
}
