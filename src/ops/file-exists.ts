// Whether a path exists (without following a final symlink): the swap and its undo look before they rename.
import { lstat } from 'node:fs/promises';

export async function exists(file: string): Promise<boolean> {
  try {
    await lstat(file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}
