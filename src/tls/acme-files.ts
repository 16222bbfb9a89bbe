// Where ACME keeps its secrets: <state folder>/acme, the folder 0700 and every file 0600, each written whole or not at all.
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';

export interface AcmeFiles {
  dir: string;
  accountKey: string;
  certFile: string;
  keyFile: string;
}

export function acmeFiles(stateFile: string): AcmeFiles {
  const dir = path.join(path.dirname(stateFile), 'acme');
  return { dir, accountKey: path.join(dir, 'account.key'), certFile: path.join(dir, 'certificate.pem'), keyFile: path.join(dir, 'certificate.key') };
}

/** Temp file in the same folder, fsynced, renamed over the target: a crash leaves the old file or the new, never half. */
export async function writeSecretAtomically(file: string, content: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const temp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, file);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
  const dir = await open(path.dirname(file), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

export async function readIfPresent(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}
