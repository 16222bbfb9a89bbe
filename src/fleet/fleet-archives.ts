// Release archives a fleet node keeps and serves to the others: fetched from a peer with the shared token, sha256 checked.
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { SlotswapError } from '../errors.js';
import type { Orchestrator } from '../ops/orchestrator.js';
import { FLEET_PREPARE_TIMEOUT_MS } from '../defaults.js';

const SHA256 = /^[0-9a-f]{64}$/;

export function archivesDir(orch: Orchestrator): string {
  return path.join(path.dirname(orch.config.stateFile), 'fleet', 'archives');
}

/** The local .tgz with this sha256: the fleet's archive folder, or a placed release's archived copy; null if none. */
export async function localArchive(orch: Orchestrator, sha256: string): Promise<string | null> {
  if (!SHA256.test(sha256)) throw new SlotswapError('bad_request', `expected a sha256 of 64 hex digits, got ${JSON.stringify(sha256)}`);
  const data = orch.store.data;
  const candidates = [path.join(archivesDir(orch), `${sha256}.tgz`), ...[data.slots.a.release, data.slots.b.release, ...(data.liveReleases ?? [])].filter((r) => r?.sha256 === sha256 && r.archive).map((r) => r!.archive!)];
  for (const file of candidates) {
    if (await stat(file).then((s) => s.isFile(), () => false)) return file;
  }
  return null;
}

/** Downloads `sha256` from a peer's GET /api/fleet/archive/<sha256> into the archive folder, checking its digest. */
export async function fetchArchive(orch: Orchestrator, sha256: string, fromUrl: string, token: string): Promise<string> {
  const local = await localArchive(orch, sha256);
  if (local) return local;
  const dir = archivesDir(orch);
  await mkdir(dir, { recursive: true });
  const target = path.join(dir, `${sha256}.tgz`);
  const partial = `${target}.${process.pid}.${Date.now()}.part`;
  let res: Response;
  try {
    res = await fetch(`${fromUrl}/api/fleet/archive/${sha256}`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(FLEET_PREPARE_TIMEOUT_MS) });
  } catch (err) {
    throw new SlotswapError('unreachable', `could not fetch the release archive from ${fromUrl}: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}`);
  }
  if (res.status !== 200 || !res.body) throw new SlotswapError('operation_failed', `expected the release archive from ${fromUrl}, got HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`);
  const hash = createHash('sha256');
  const tap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
  try {
    await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), tap, createWriteStream(partial, { mode: 0o600 }));
    const got = hash.digest('hex');
    if (got !== sha256) throw new SlotswapError('checksum_mismatch', `the archive fetched from ${fromUrl} has sha256 ${got}, expected ${sha256}; nothing was placed`);
    await rename(partial, target);
    return target;
  } finally {
    await rm(partial, { force: true });
  }
}

/** Keeps only the archives named in `keep` in the fleet folder: placed releases keep their own copy in releasesDir. */
export async function pruneArchives(orch: Orchestrator, keep: ReadonlySet<string>): Promise<void> {
  const dir = archivesDir(orch);
  const names = await readdir(dir).catch(() => [] as string[]);
  await Promise.all(names.filter((name) => !keep.has(name.replace(/\.tgz$/, ''))).map((name) => rm(path.join(dir, name), { force: true })));
}
