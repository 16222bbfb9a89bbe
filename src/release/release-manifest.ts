// release.json: what a release says about itself, validated with "expected X, got Y" messages.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { SlotswapError, describeValue } from '../errors.js';

export interface ReleaseManifest {
  name: string;
  version: string;
  minCompatibleVersion: string | null;
  start: string[];
  health: string | null;
  env: Record<string, string>;
}

const KNOWN_KEYS = ['name', 'version', 'minCompatibleVersion', 'start', 'health', 'env', 'description'];

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
  if (problems.length > 0) throw new SlotswapError('invalid_input', `${where} is invalid:\n  ${problems.join('\n  ')}`, { problems });
  return {
    name: r.name as string,
    version: r.version as string,
    minCompatibleVersion: (r.minCompatibleVersion as string | undefined) ?? null,
    start: start as string[],
    health: (r.health as string | undefined) ?? null,
    env: (env as Record<string, string> | undefined) ?? {},
  };
}

export async function readReleaseManifest(dir: string): Promise<ReleaseManifest> {
  const file = path.join(dir, 'release.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new SlotswapError('invalid_input', `the release has no release.json at its root (looked for ${file}); add one with name, version and start`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new SlotswapError('invalid_input', `release.json is not valid JSON (${(err as Error).message}); fix the file and deploy again`);
  }
  return parseReleaseManifest(raw, 'release.json');
}
