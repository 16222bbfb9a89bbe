// One error class for the whole project; the boundary maps its code to an HTTP status and an exit code.

export type ErrorCode =
  | 'invalid_config'
  | 'invalid_input'
  | 'version_gate'
  | 'bad_request'
  | 'unauthorized'
  | 'not_found'
  | 'conflict'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'checksum_mismatch'
  | 'operation_failed'
  | 'unreachable'
  | 'corrupt_state'
  | 'state_write_failed'
  | 'disk_full'
  | 'upload_timeout'
  | 'internal';

interface CodeMapping {
  status: number;
  exitCode: number;
}

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
export const EXIT_UNREACHABLE = 3;
export const EXIT_CONFLICT = 4;
/** The CLI stopped waiting (deploy --timeout); the operation goes on in the daemon. Not an error code: nothing failed. */
export const EXIT_STOPPED_WAITING = 5;

const MAPPING: Record<ErrorCode, CodeMapping> = {
  invalid_config: { status: 400, exitCode: EXIT_USAGE },
  invalid_input: { status: 422, exitCode: EXIT_USAGE },
  version_gate: { status: 422, exitCode: EXIT_USAGE },
  bad_request: { status: 400, exitCode: EXIT_USAGE },
  unauthorized: { status: 401, exitCode: EXIT_UNREACHABLE },
  not_found: { status: 404, exitCode: EXIT_USAGE },
  conflict: { status: 409, exitCode: EXIT_CONFLICT },
  payload_too_large: { status: 413, exitCode: EXIT_USAGE },
  unsupported_media_type: { status: 415, exitCode: EXIT_USAGE },
  checksum_mismatch: { status: 422, exitCode: EXIT_USAGE },
  operation_failed: { status: 500, exitCode: EXIT_FAILED },
  unreachable: { status: 502, exitCode: EXIT_UNREACHABLE },
  corrupt_state: { status: 500, exitCode: EXIT_USAGE },
  state_write_failed: { status: 500, exitCode: EXIT_FAILED },
  disk_full: { status: 507, exitCode: EXIT_FAILED },
  upload_timeout: { status: 408, exitCode: EXIT_FAILED },
  internal: { status: 500, exitCode: EXIT_FAILED },
};

/** Facts an error carries for its callers (the CLI prints the log tail, the page the rejected file); all go out as JSON. */
export interface ErrorFacts {
  /** The failed instances' last log lines. */
  logTail?: string[];
  /** An in-place replacement was undone: the previous version serves again. */
  rolledBack?: boolean;
  /** Where the refused files of an undone swap were kept. */
  rejectedFile?: string | null;
  heldMs?: number;
  queued?: number;
  slot?: string;
  state?: string;
  [fact: string]: unknown;
}

export class SlotswapError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorFacts | undefined;

  /** `details` are typed facts callers may read; `options.cause` keeps the error this one explains. */
  constructor(code: ErrorCode, message: string, details?: ErrorFacts, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SlotswapError';
    this.code = code;
    this.details = details;
  }

  get status(): number {
    return MAPPING[this.code].status;
  }

  get exitCode(): number {
    return MAPPING[this.code].exitCode;
  }

  toJSON(): { error: ErrorCode; message: string } & Record<string, unknown> {
    return { error: this.code, message: this.message, ...this.details };
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(MAPPING, value);
}

export function statusForCode(code: ErrorCode): number {
  return MAPPING[code].status;
}

export function exitCodeForCode(code: ErrorCode): number {
  return MAPPING[code].exitCode;
}

/** Anything thrown becomes a SlotswapError; unknown errors are internal and keep their message. */
export function toSlotswapError(err: unknown): SlotswapError {
  if (err instanceof SlotswapError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new SlotswapError('internal', message, undefined, { cause: err });
}

/** Renders a value for an "expected X, got Y" message without dumping megabytes. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    // Too deep for JSON.stringify (an array nested 5,000 times) is too deep for String() too: name its kind only.
    text = Array.isArray(value) ? 'an array nested too deeply to show' : typeof value === 'object' && value !== null ? 'an object that cannot be shown as JSON' : String(value);
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
