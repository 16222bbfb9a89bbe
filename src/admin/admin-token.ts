// The admin bearer token: SLOTSWAP_ADMIN_TOKEN, or a file created on first start with 32 random bytes and mode 0600.
import { randomBytes, createHash, timingSafeEqual } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { TOKEN_BYTES } from '../defaults.js';
import { SlotswapError } from '../errors.js';

export async function ensureToken(tokenFile: string): Promise<{ token: string; source: string }> {
  const fromEnv = process.env.SLOTSWAP_ADMIN_TOKEN;
  if (fromEnv) return { token: fromEnv, source: 'SLOTSWAP_ADMIN_TOKEN' };
  try {
    const token = (await readFile(tokenFile, 'utf8')).trim();
    if (token.length === 0) throw new SlotswapError('invalid_config', `token file ${tokenFile} is empty; delete it to have a new token made`);
    return { token, source: tokenFile };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await mkdir(path.dirname(tokenFile), { recursive: true });
  const token = randomBytes(TOKEN_BYTES).toString('hex');
  await writeFile(tokenFile, `${token}\n`, { mode: 0o600, flag: 'wx' });
  // The umask can only remove bits, but an existing file's mode is not changed by writeFile: set it explicitly.
  await chmod(tokenFile, 0o600);
  return { token, source: tokenFile };
}

export async function readToken(tokenFile: string): Promise<string> {
  try {
    return (await readFile(tokenFile, 'utf8')).trim();
  } catch (err) {
    // Missing: most often no daemon was ever started with this config (the first "slotswap start" writes it).
    const hint = (err as NodeJS.ErrnoException).code === 'ENOENT' ? ' (the daemon writes it at its first start: is "slotswap start" running with this config?)' : '';
    throw new SlotswapError('unauthorized', `no admin token: cannot read ${tokenFile}${hint}; pass --token or set SLOTSWAP_TOKEN`);
  }
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Constant-time: both sides are hashed to the same length before comparing. */
export function tokenMatches(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}
