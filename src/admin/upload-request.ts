// An admin upload received before any lock is taken; a failed or stalled one is answered, then its connection closed.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Request, Response } from 'express';
import { CLIENT_ERROR_LINGER_MS } from '../defaults.js';
import { receiveUpload, type ReceivedUpload, type UploadLimits } from '../release/receive-upload.js';

export async function receiveRequestUpload(req: Request, res: Response, destination: string, limits: UploadLimits): Promise<ReceivedUpload> {
  try {
    await mkdir(path.dirname(destination), { recursive: true });
    return await receiveUpload(req, destination, limits);
  } catch (err) {
    // The rest of the body is unread: Node closes a "Connection: close" answer's socket once the answer is written.
    if (!res.headersSent) res.setHeader('connection', 'close');
    // A client that never reads its answer does not keep the socket either.
    setTimeout(() => req.socket?.destroy(), CLIENT_ERROR_LINGER_MS).unref();
    throw err;
  }
}
