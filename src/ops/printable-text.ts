// Texts an operator sets for clients and the CLI to show (the upgrade notice, the maintenance message): a control
// character would reach terminals and client UIs as it is (ANSI escapes, a NUL), so only newline and tab are taken.
import { SlotswapError } from '../errors.js';

const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f]/;

/** Throws bad_request naming the first control character other than newline or tab, and where it is. */
export function requirePrintable(text: string, key: string): void {
  const match = CONTROL.exec(text);
  if (match === null) return;
  const code = `U+${match[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
  throw new SlotswapError('bad_request', `"${key}": expected printable text (newlines and tabs are fine), got the control character ${code} at position ${match.index}; remove it`);
}
