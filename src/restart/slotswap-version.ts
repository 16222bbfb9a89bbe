// The version of the slotswap code this process runs: package.json beside the build (dist/restart/ is two folders below).
import { readFileSync } from 'node:fs';

let cached: string | null = null;

/** Read once per process: after an upgrade on disk the running daemon still reports what it runs. */
export function slotswapVersion(): string {
  cached ??= (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  return cached;
}
