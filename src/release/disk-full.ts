// A full disk (or used-up quota) becomes a disk_full error that names the folder, instead of a bare 500 ENOSPC.
import { SlotswapError } from '../errors.js';

/** The disk_full error for ENOSPC/EDQUOT, or null for any other error. */
export function diskFullError(err: unknown, folder: string, doing: string): SlotswapError | null {
  const code = (err as NodeJS.ErrnoException | null | undefined)?.code;
  if (code !== 'ENOSPC' && code !== 'EDQUOT') return null;
  const what = code === 'ENOSPC' ? 'no space left' : 'the disk quota is used up';
  return new SlotswapError('disk_full', `${what} on the file system of ${folder} (${code}) while ${doing}; nothing was kept; free space there and try again`, {
    folder,
    errno: code,
  });
}
