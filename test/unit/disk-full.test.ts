import { describe, expect, it } from 'vitest';
import { diskFullError } from '../../src/release/disk-full.js';

function errno(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: failed, write`), { code });
}

describe('a full disk', () => {
  it('becomes disk_full (507, exit 1) naming the folder, for ENOSPC and EDQUOT', () => {
    const full = diskFullError(errno('ENOSPC'), '/srv/state/uploads', 'receiving the upload');
    expect(full?.code).toBe('disk_full');
    expect(full?.status).toBe(507);
    expect(full?.exitCode).toBe(1);
    expect(full?.message).toMatch(/no space left on the file system of \/srv\/state\/uploads \(ENOSPC\) while receiving the upload/);
    expect(diskFullError(errno('EDQUOT'), '/srv/sites', 'unpacking')?.message).toMatch(/quota.*\/srv\/sites/);
  });

  it('leaves every other error alone', () => {
    expect(diskFullError(errno('EACCES'), '/x', 'y')).toBeNull();
    expect(diskFullError(new Error('boom'), '/x', 'y')).toBeNull();
  });
});
