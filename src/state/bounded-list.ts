// Bounds for what the state file keeps: lists capped in entries and in bytes, and strings cut to a byte length.

/** JSON size of an entry, remembered per object: entries are replaced, never changed, once stored. */
const sizes = new WeakMap<object, number>();

export function jsonBytes(item: unknown): number {
  if (typeof item !== 'object' || item === null) return Buffer.byteLength(JSON.stringify(item) ?? '');
  let size = sizes.get(item);
  if (size === undefined) {
    size = Buffer.byteLength(JSON.stringify(item));
    sizes.set(item, size);
  }
  return size;
}

/** Cuts `text` to at most `maxBytes` of UTF-8 (never inside a character), marking a cut with "…". */
export function cutToBytes(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  const marker = '…';
  const room = Math.max(0, maxBytes - Buffer.byteLength(marker));
  // Decoding a byte slice drops a half character as U+FFFD: strip that back off.
  const cut = Buffer.from(text).subarray(0, room).toString('utf8').replace(/\uFFFD+$/, '');
  return `${cut}${marker}`;
}

/** Drops the oldest entries until the list holds at most `maxEntries` and `maxBytes` of JSON; the newest entry always stays. */
export function trimBounded<T>(list: T[], maxEntries: number, maxBytes: number): void {
  let total = 0;
  let keep = 0;
  for (let i = list.length - 1; i >= 0; i--) {
    total += jsonBytes(list[i]);
    if (keep > 0 && (keep >= maxEntries || total > maxBytes)) break;
    keep++;
  }
  if (keep < list.length) list.splice(0, list.length - keep);
}

/** Appends and drops the oldest entries beyond `maxEntries` or `maxBytes`. */
export function pushBounded<T>(list: T[], item: T, maxEntries: number, maxBytes: number): void {
  list.push(item);
  trimBounded(list, maxEntries, maxBytes);
}
