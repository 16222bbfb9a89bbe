// The one error boundary of the admin API: every error becomes {"error": code, "message": text} with its status.
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { SlotswapError, toSlotswapError } from '../errors.js';

export const notFound: RequestHandler = (req, _res, next) => {
  next(new SlotswapError('not_found', `no admin route ${req.method} ${req.path}; see docs/api.md`));
};

export const errorBoundary: ErrorRequestHandler = (err: unknown, _req, res, _next) => {
  // body-parser style errors carry their own status (e.g. invalid JSON, too large).
  const status = (err as { status?: unknown }).status;
  const error =
    err instanceof SlotswapError
      ? err
      : status === 400
        ? new SlotswapError('bad_request', `the request body is not valid: ${(err as Error).message}`)
        : status === 413
          ? new SlotswapError('payload_too_large', (err as Error).message)
          : status === 415
            ? new SlotswapError('unsupported_media_type', `${(err as Error).message}; send the body as application/json in utf-8`)
            : toSlotswapError(err);
  if (error.code === 'internal') console.error('slotswap: admin request failed:', err);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.status(error.status).json(error.toJSON());
};
