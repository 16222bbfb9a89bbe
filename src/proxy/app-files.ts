// Serves each version's client files from the state folder: the file list, ?since= diffs, ETag/304, Range/206,
// gzip/brotli, immutable caching; only files in the version's list are ever opened, and never through a link.
import { constants, type Stats } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { Transform } from 'node:stream';
import { constants as z, createBrotliCompress, createGzip } from 'node:zlib';
import { diffFileLists, FILE_LIST_NAME, type ClientFile } from '../release/client-files.js';
import { readStoredList, versionFolder } from '../release/app-file-store.js';
import type { AppFileDecision } from './router.js';
import { parseRange } from './byte-range.js';
import { compresses, pickCoding, type Coding } from './content-coding.js';
import { sendJson } from './http-answers.js';

/** A version's files never change once stored: caches may keep them for a year without asking again. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** Streaming brotli at its default quality (11) is far too slow; 4 is about gzip's speed at a better ratio. */
const BROTLI_STREAM_QUALITY = 4;
const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8', js: 'text/javascript; charset=utf-8', mjs: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8',
  json: 'application/json; charset=utf-8', txt: 'text/plain; charset=utf-8', svg: 'image/svg+xml', xml: 'application/xml', wasm: 'application/wasm',
  png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', ico: 'image/x-icon', zip: 'application/zip',
};

interface CachedList {
  key: string;
  files: ClientFile[];
  byPath: Map<string, ClientFile>;
}

function contentType(file: string): string {
  const ext = path.posix.extname(file).slice(1).toLowerCase();
  return TYPES[ext] ?? 'application/octet-stream';
}

/** If-None-Match against one representation's tags: a list, weak tags and "*" all count (RFC 9110 13.1.2). */
function matches(header: string | undefined, tags: readonly string[]): boolean {
  if (!header) return false;
  return header.split(',').some((raw) => {
    const tag = raw.trim().replace(/^W\//, '');
    return tag === '*' || tags.includes(tag);
  });
}

function encoder(coding: Coding, size: number): Transform {
  if (coding === 'gzip') return createGzip();
  return createBrotliCompress({ params: { [z.BROTLI_PARAM_QUALITY]: BROTLI_STREAM_QUALITY, [z.BROTLI_PARAM_SIZE_HINT]: size } });
}

export class AppFiles {
  readonly #lists = new Map<string, CachedList>();

  constructor(readonly root: string) {}

  /** The version's list, re-read only when its files.json changed (a redeploy of the version, or pruning). */
  async list(version: string): Promise<CachedList | null> {
    const file = versionFolder(this.root, version).list;
    const info = await stat(file).catch(() => null);
    if (info === null) {
      this.#lists.delete(version);
      return null;
    }
    const key = `${info.ino}:${info.mtimeMs}:${info.size}`;
    const cached = this.#lists.get(version);
    if (cached?.key === key) return cached;
    const stored = await readStoredList(this.root, version);
    if (stored === null) return null;
    const fresh = { key, files: stored.files, byPath: new Map(stored.files.map((f) => [f.path, f])) };
    this.#lists.set(version, fresh);
    return fresh;
  }

  async serve(req: IncomingMessage, res: ServerResponse, d: AppFileDecision): Promise<void> {
    const list = await this.list(d.version);
    if (list === null) return sendJson(res, 404, { error: 'not_found', message: `version ${d.version} has no client files here: it was never deployed with any, or it is older than the clients.keepAppVersions kept` });
    if (d.file === FILE_LIST_NAME) return this.#serveList(req, res, d, list);
    const entry = list.byPath.get(d.file);
    if (entry === undefined) return sendJson(res, 404, { error: 'not_found', message: `version ${d.version} has no client file ${JSON.stringify(d.file.slice(0, 200))}; see its ${FILE_LIST_NAME}` });
    let handle: FileHandle;
    let info: Stats;
    try {
      // O_NOFOLLOW: the store holds only regular files, and a link put there later is refused by the kernel.
      handle = await open(path.join(versionFolder(this.root, d.version).files, ...entry.path.split('/')), constants.O_RDONLY | constants.O_NOFOLLOW);
      info = await handle.stat();
    } catch {
      return sendJson(res, 404, { error: 'not_found', message: `client file ${JSON.stringify(d.file.slice(0, 200))} of version ${d.version} is no longer kept` });
    }
    if (!info.isFile()) {
      await handle.close();
      return sendJson(res, 404, { error: 'not_found', message: `client file ${JSON.stringify(d.file.slice(0, 200))} is not a regular file` });
    }
    await this.#serveFile(req, res, entry, handle, info.size);
  }

  async #serveFile(req: IncomingMessage, res: ServerResponse, entry: ClientFile, handle: FileHandle, size: number): Promise<void> {
    const etag = `"${entry.sha256}"`;
    const canCompress = compresses(entry.path, size);
    const coding = canCompress ? pickCoding(req.headers['accept-encoding']) : null;
    res.setHeader('cache-control', IMMUTABLE);
    res.setHeader('accept-ranges', 'bytes');
    res.setHeader('content-type', contentType(entry.path));
    if (canCompress) res.setHeader('vary', 'accept-encoding');
    const tags = [etag, `"${entry.sha256}-br"`, `"${entry.sha256}-gzip"`];
    if (matches(req.headers['if-none-match'], tags)) {
      await handle.close();
      res.setHeader('etag', coding ? `"${entry.sha256}-${coding}"` : etag);
      res.statusCode = 304;
      res.end();
      return;
    }
    const ifRange = req.headers['if-range'];
    const range = ifRange === undefined || ifRange === etag ? parseRange(req.headers.range, size) : null;
    if (range === 'unsatisfiable') {
      await handle.close();
      res.setHeader('content-range', `bytes */${size}`);
      return sendJson(res, 416, { error: 'range_not_satisfiable', message: `the range ${JSON.stringify(String(req.headers.range).slice(0, 64))} is outside the file's ${size} bytes` });
    }
    // A range is of the file's own bytes: never compressed.
    const compressed = range === null ? coding : null;
    res.setHeader('etag', compressed ? `"${entry.sha256}-${compressed}"` : etag);
    if (range !== null) {
      res.statusCode = 206;
      res.setHeader('content-range', `bytes ${range.start}-${range.end}/${size}`);
      res.setHeader('content-length', range.end - range.start + 1);
    } else if (compressed) {
      // The compressed length is known only at the end: the answer is chunked.
      res.setHeader('content-encoding', compressed);
    } else {
      res.setHeader('content-length', size);
    }
    if (req.method === 'HEAD' || size === 0) {
      await handle.close();
      res.end();
      return;
    }
    const source = handle.createReadStream(range === null ? {} : { start: range.start, end: range.end });
    // pipeline waits for the client to take each chunk (back-pressure) and closes the file however it ends.
    const done = compressed ? pipeline(source, encoder(compressed, size), res) : pipeline(source, res);
    await done.catch(() => res.destroy());
  }

  #serveList(req: IncomingMessage, res: ServerResponse, d: AppFileDecision, list: CachedList): Promise<void> | void {
    if (d.since === null) return this.#sendImmutableJson(req, res, { version: d.version, files: list.files });
    return this.list(d.since).then((older) => {
      if (older === null) return sendJson(res, 404, { error: 'not_found', message: `the file list of ${d.since} is no longer kept (or never was); download ${d.version}'s whole ${FILE_LIST_NAME}` });
      const diff = diffFileLists(older.files, list.files);
      return this.#sendImmutableJson(req, res, { version: d.version, since: d.since, changed: diff.changed, removed: diff.removed });
    });
  }

  #sendImmutableJson(req: IncomingMessage, res: ServerResponse, body: unknown): void {
    const payload = Buffer.from(`${JSON.stringify(body)}\n`);
    const etag = `"${createHash('sha256').update(payload).digest('hex')}"`;
    res.setHeader('cache-control', IMMUTABLE);
    res.setHeader('etag', etag);
    if (matches(req.headers['if-none-match'], [etag])) {
      res.statusCode = 304;
      res.end();
      return;
    }
    res.setHeader('content-type', 'application/json; charset=utf-8');
    res.setHeader('content-length', payload.length);
    res.end(req.method === 'HEAD' ? undefined : payload);
  }
}

/** The proxy's one entry point: any failure becomes a 500 answer (or a cut connection once the body began). */
export function serveAppFile(files: AppFiles | null, req: IncomingMessage, res: ServerResponse, decision: AppFileDecision): void {
  if (files === null) return sendJson(res, 404, { error: 'not_found', message: 'client files are not served by this proxy' });
  files.serve(req, res, decision).catch((err: unknown) => {
    if (res.headersSent) res.destroy();
    else sendJson(res, 500, { error: 'internal', message: `the client file could not be read (${(err as Error).message})` });
  });
}
