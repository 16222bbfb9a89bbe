// release.json: what a release says about itself, validated with "expected X, got Y" messages.
import { constants, type Stats } from 'node:fs';
import { lstat, open, readdir } from 'node:fs/promises';
import path from 'node:path';
import { SlotswapError, describeValue } from '../errors.js';

export interface ReleaseManifest {
  name: string;
  version: string;
  minCompatibleVersion: string | null;
  start: string[];
  health: string | null;
  env: Record<string, string>;
  /** The client files' folder as written in release.json, or null (then client/, if the release has one). */
  client: string | null;
}

const KNOWN_KEYS = ['name', 'version', 'minCompatibleVersion', 'start', 'health', 'env', 'description', 'client'];

export function parseReleaseManifest(raw: unknown, where: string): ReleaseManifest {
  const problems: string[] = [];
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new SlotswapError('invalid_input', `${where}: expected a JSON object, got ${describeValue(raw)}`);
  }
  const r = raw as Record<string, unknown>;
  const wrong = (key: string, what: string) => problems.push(`"${key}": expected ${what}, got ${describeValue(r[key])}`);
  for (const key of Object.keys(r)) if (!KNOWN_KEYS.includes(key)) problems.push(`"${key}": unknown key; known keys are ${KNOWN_KEYS.join(', ')}`);
  if (typeof r.name !== 'string' || r.name.length === 0) wrong('name', 'a non-empty string');
  if (typeof r.version !== 'string') wrong('version', 'a semver string like "1.2.0"');
  if (r.minCompatibleVersion !== undefined && typeof r.minCompatibleVersion !== 'string') wrong('minCompatibleVersion', 'a semver string');
  const start = r.start;
  if (!Array.isArray(start) || start.length === 0 || !start.every((s) => typeof s === 'string' && s.length > 0)) {
    wrong('start', 'a non-empty array of strings like ["node", "server.mjs"]');
  }
  if (r.health !== undefined && (typeof r.health !== 'string' || !r.health.startsWith('/'))) wrong('health', 'a path starting with /');
  const env = r.env;
  if (env !== undefined && (typeof env !== 'object' || env === null || Array.isArray(env) || !Object.values(env).every((v) => typeof v === 'string'))) {
    wrong('env', 'an object of string values');
  }
  if (r.client !== undefined && (typeof r.client !== 'string' || r.client.length === 0)) wrong('client', 'a folder inside the release like "client"');
  if (problems.length > 0) throw new SlotswapError('invalid_input', `${where} is invalid:\n  ${problems.join('\n  ')}`, { problems });
  return {
    name: r.name as string,
    version: r.version as string,
    minCompatibleVersion: (r.minCompatibleVersion as string | undefined) ?? null,
    start: start as string[],
    health: (r.health as string | undefined) ?? null,
    env: (env as Record<string, string> | undefined) ?? {},
    client: (r.client as string | undefined) ?? null,
  };
}

/** release.json is small; a larger one is a mistake (or an attempt to make the daemon read a big file). */
const MAX_MANIFEST_BYTES = 1024 * 1024;

function kindOf(info: Stats): string {
  if (info.isSymbolicLink()) return 'a symlink';
  if (info.isDirectory()) return 'a folder';
  return 'a special file';
}

/** Folders one level down that hold a release.json: the archive was packed with its folder around it. */
async function manifestsOneDown(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const found: string[] = [];
  for (const entry of entries.filter((e) => e.isDirectory()).sort((x, y) => x.name.localeCompare(y.name))) {
    const info = await lstat(path.join(dir, entry.name, 'release.json')).catch(() => null);
    if (info?.isFile()) found.push(entry.name);
  }
  return found;
}

/** The user's view: the archive's root (the folder deployed, or the top of the .tgz), never the daemon's temp folder. */
async function missingManifest(dir: string): Promise<SlotswapError> {
  const found = await manifestsOneDown(dir);
  const base = "the release has no release.json at the archive's root";
  if (found.length === 0) return new SlotswapError('invalid_input', `${base}; add one with name, version and start (docs/releases.md)`);
  const [first] = found as [string, ...string[]];
  const others = found.length > 1 ? ` (and in ${found.slice(1, 4).join(', ')}${found.length > 4 ? ', …' : ''})` : '';
  return new SlotswapError(
    'invalid_input',
    `${base}, but found ${first}/release.json${others}: pack the folder's contents (tar czf release.tgz -C ${first} .), or deploy the folder (slotswap deploy ${first})`,
    { foundOneDown: found },
  );
}

/** Reads release.json only as a regular file at the release's root (lstat, O_NOFOLLOW); its bytes never appear in an error. */
export async function readReleaseManifest(dir: string): Promise<ReleaseManifest> {
  const file = path.join(dir, 'release.json');
  const info = await lstat(file).catch(() => null);
  if (info === null) throw await missingManifest(dir);
  if (!info.isFile()) throw new SlotswapError('invalid_input', `release.json must be a regular file at the release's root, got ${kindOf(info)}; put the file itself in the archive`);
  if (info.size > MAX_MANIFEST_BYTES) throw new SlotswapError('invalid_input', `release.json is ${info.size} bytes, expected at most ${MAX_MANIFEST_BYTES}; keep only the release's description in it`);
  // O_NOFOLLOW: a link swapped in after the lstat is refused by the kernel, not followed.
  const handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  let text: string;
  try {
    text = await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    // V8's message quotes the text it choked on: give only the position, never the bytes.
    const at = /position (\d+)/.exec((err as Error).message)?.[1];
    throw new SlotswapError('invalid_input', `release.json is not valid JSON (${text.length} characters${at ? `, the parser stopped at position ${at}` : ''}); fix the file and deploy again`);
  }
  return parseReleaseManifest(raw, 'release.json');
}
