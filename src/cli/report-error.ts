// The CLI's one error boundary: an error is printed (text on stderr, or JSON on stdout) and becomes an exit code.
import { toSlotswapError } from '../errors.js';
import { printLogTail } from './output.js';

export function reportError(err: unknown, json: boolean): number {
  const error = toSlotswapError(err);
  if (json) process.stdout.write(`${JSON.stringify(error.toJSON())}\n`);
  else {
    console.error(`slotswap: ${error.message}`);
    const { logTail, rejectedFile } = error.details ?? {};
    if (typeof rejectedFile === 'string') console.error(`rejected file kept at ${rejectedFile}`);
    printLogTail(logTail);
  }
  return error.exitCode;
}
