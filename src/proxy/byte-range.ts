// The Range header of a file answer (RFC 9110 14.2), as a pure function: one range served, anything else answered whole.

export interface ByteRange {
  start: number;
  /** Inclusive. */
  end: number;
}

/**
 * The single range asked for in `bytes=a-b`, `bytes=a-` or `bytes=-n`; null when the header is absent, malformed or
 * asks for several ranges (the whole file is then sent, which RFC 9110 allows); 'unsatisfiable' when it misses the file.
 */
export function parseRange(header: string | undefined, size: number): ByteRange | 'unsatisfiable' | null {
  if (header === undefined) return null;
  const match = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!match) return null;
  const [, first, last] = match as unknown as [string, string, string];
  if (first === '' && last === '') return null;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (last !== '' && Number(last) < start) return null;
  if (start >= size) return 'unsatisfiable';
  return { start, end };
}
