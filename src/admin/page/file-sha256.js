// The sha256 of a file the operator picked, sent with an upload so the daemon can tell a damaged one.

/** Hex sha256 of `file`, or null where the browser cannot compute it (only secure contexts: https or loopback). */
export async function sha256Hex(file) {
  if (!globalThis.crypto?.subtle || file.size > 512 * 1024 * 1024) return null;
  const digest = await crypto.subtle.digest('SHA-256', await file.arrayBuffer());
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}
