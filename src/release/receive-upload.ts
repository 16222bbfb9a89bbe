// Streams an upload to a temp file beside its destination, counting and hashing; renames only when size and sha256 are right.
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { finished, Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { randomBytes } from 'node:crypto';
import { diskFullError } from './disk-full.js';
import { SlotswapError } from '../errors.js';

export interface UploadLimits {
  maxBytes: number;
  /** Expected sha256 in hex, when the uploader gave one. */
  sha256: string | null;
  mode?: number;
  /** Drop the upload when no byte arrives for this long (uploads.idleTimeoutMs); none for local streams. */
  idleTimeoutMs?: number;
}

export interface ReceivedUpload {
  file: string;
  bytes: number;
  sha256: string;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

export function parseSha256(value: unknown): string | null {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string' || !SHA256_HEX.test(value.toLowerCase())) {
    throw new SlotswapError('invalid_input', `sha256 ${JSON.stringify(String(value).slice(0, 80))} is not 64 hex digits; send the file's sha256 (sha256sum <file>)`);
  }
  return value.toLowerCase();
}

async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Writes the stream to `destination` atomically; on any failure the destination is untouched and the temp file removed. */
export async function receiveUpload(source: Readable, destination: string, limits: UploadLimits): Promise<ReceivedUpload> {
  const temp = path.join(path.dirname(destination), `.${path.basename(destination)}.${randomBytes(6).toString('hex')}.part`);
  const hash = createHash('sha256');
  let bytes = 0;
  let idle: NodeJS.Timeout | undefined;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      armIdle();
      bytes += chunk.length;
      if (bytes > limits.maxBytes) {
        callback(new SlotswapError('payload_too_large', `the upload is larger than uploads.maxBytes (${limits.maxBytes} bytes); raise the limit or send a smaller file`));
        return;
      }
      hash.update(chunk);
      callback(null, chunk);
    },
  });
  function armIdle(): void {
    const ms = limits.idleTimeoutMs;
    if (ms === undefined) return;
    clearTimeout(idle);
    idle = setTimeout(() => {
      counter.destroy(new SlotswapError('upload_timeout', `the upload sent nothing for ${ms} ms (uploads.idleTimeoutMs) after ${bytes} bytes; nothing was kept; send it again`));
    }, ms);
  }
  // Fed by pipe, not by pipeline: a failed upload must leave the source (the client's socket) open for its answer.
  const stopWatching = finished(source, (err) => {
    if (err) counter.destroy(err);
  });
  try {
    armIdle();
    const written = pipeline(counter, createWriteStream(temp, { flags: 'wx', mode: limits.mode ?? 0o600, flush: true }));
    source.pipe(counter);
    await written;
    if (!source.readableEnded && 'complete' in source && (source as { complete?: boolean }).complete === false) {
      throw new SlotswapError('bad_request', 'the upload was cut off before its end; send it again');
    }
    const sha256 = hash.digest('hex');
    if (limits.sha256 !== null && limits.sha256 !== sha256) {
      throw new SlotswapError('checksum_mismatch', `sha256 mismatch: expected ${limits.sha256}, got ${sha256} for ${bytes} bytes received; the upload was damaged or the checksum is wrong; send it again`);
    }
    if (bytes === 0) throw new SlotswapError('invalid_input', 'the upload is empty (0 bytes); send the file itself');
    await rename(temp, destination);
    await fsyncDir(path.dirname(destination));
    return { file: destination, bytes, sha256 };
  } catch (err) {
    await unlink(temp).catch(() => {});
    if (err instanceof SlotswapError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE') {
      throw new SlotswapError('bad_request', 'the upload was cut off before its end; nothing was kept; send it again');
    }
    throw diskFullError(err, path.dirname(destination), 'receiving the upload') ?? err;
  } finally {
    clearTimeout(idle);
    source.unpipe(counter);
    stopWatching();
  }
}
