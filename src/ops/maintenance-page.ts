// The operator's maintenance page, kept in its own file beside the state file: the state file stays small, and each
// state write does not carry up to 1 MiB of HTML. The record names the page's sha256, so a changed file is noticed.
import { createHash } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

const PAGE_FILE = 'maintenance-page.html';
const PRIVATE_FILE_MODE = 0o600;

export function maintenancePagePath(stateFile: string): string {
  return path.join(path.dirname(stateFile), PAGE_FILE);
}

export function pageSha256(page: Buffer): string {
  return createHash('sha256').update(page).digest('hex');
}

/** Writes the page atomically (temp file, flush, rename), before the state names it. */
export async function writeMaintenancePage(stateFile: string, page: Buffer): Promise<void> {
  const file = maintenancePagePath(stateFile);
  const temp = `${file}.tmp`;
  await rm(temp, { force: true });
  await writeFile(temp, page, { mode: PRIVATE_FILE_MODE, flag: 'wx', flush: true });
  await rename(temp, file);
}

export async function removeMaintenancePage(stateFile: string): Promise<void> {
  await rm(maintenancePagePath(stateFile), { force: true });
}

/** The page the state names, or a reason it cannot be served (missing, or not the page that was recorded). */
export async function readMaintenancePage(stateFile: string, sha256: string): Promise<{ page: Buffer } | { problem: string }> {
  const file = maintenancePagePath(stateFile);
  let page: Buffer;
  try {
    page = await readFile(file);
  } catch (err) {
    return { problem: `cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})` };
  }
  const actual = pageSha256(page);
  return actual === sha256 ? { page } : { problem: `${file} has sha256 ${actual.slice(0, 12)}…, expected ${sha256.slice(0, 12)}… as recorded` };
}
