// Which compression a file answer gets: the client's Accept-Encoding (with q-values) and whether the file compresses.

export type Coding = 'br' | 'gzip';

/** Below this a compressed answer saves nothing worth the CPU. */
const MIN_COMPRESS_BYTES = 1024;
/** Formats that are compressed already: compressing them again only costs CPU. */
const COMPRESSED = new Set(['zip', 'gz', 'tgz', 'br', 'zst', 'xz', 'bz2', '7z', 'rar', 'jar', 'apk', 'cab', 'msi', 'png', 'jpg', 'jpeg', 'gif', 'webp', 'avif', 'ico', 'mp3', 'mp4', 'm4a', 'webm', 'ogg', 'woff', 'woff2', 'pdf']);

export function compresses(file: string, size: number): boolean {
  if (size < MIN_COMPRESS_BYTES) return false;
  const dot = file.lastIndexOf('.');
  return dot === -1 || file.lastIndexOf('/') > dot || !COMPRESSED.has(file.slice(dot + 1).toLowerCase());
}

/** br when the client takes it, else gzip, else null (identity); "q=0" refuses a coding, "*" stands for any not named. */
export function pickCoding(acceptEncoding: string | undefined): Coding | null {
  if (!acceptEncoding) return null;
  const q = new Map<string, number>();
  for (const part of acceptEncoding.split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    if (!name) continue;
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const value = qParam === undefined ? 1 : Number(qParam.slice(2));
    q.set(name, Number.isFinite(value) ? value : 0);
  }
  const accepts = (coding: string) => (q.get(coding) ?? q.get('*') ?? 0) > 0;
  if (accepts('br')) return 'br';
  if (accepts('gzip')) return 'gzip';
  return null;
}
