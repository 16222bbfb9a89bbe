// Printing for the CLI: text for people, one JSON document with --json.
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((row) => (row[col] ?? '').length)));
  return rows.map((row) => row.map((cell, col) => cell.padEnd(widths[col]!)).join('  ').trimEnd()).join('\n');
}

/** The longest local step name ('mark failed', 'restart old'): every step's time lines up under the others. */
const STEP_NAME_WIDTH = 11;

/** One step of an operation, as the deploy, rollback and hotswap commands print it. */
export function formatStep(ok: boolean, name: string, ms: number | undefined, detail: string | undefined): string {
  return `  ${ok ? 'ok  ' : 'FAIL'} ${name.padEnd(STEP_NAME_WIDTH)} ${formatMs(ms).padStart(9)}  ${detail ?? ''}`;
}

/** A running step's progress line (the health wait): indented under the steps, marked "...". */
export function formatProgress(name: string, ms: number | undefined, detail: string | undefined): string {
  return `  ...  ${name.padEnd(STEP_NAME_WIDTH)} ${formatMs(ms).padStart(9)}  ${detail ?? ''}`;
}

/** The failed instances' last log lines that an error carries, on stderr. */
export function printLogTail(tail: unknown): void {
  if (Array.isArray(tail) && tail.length > 0) console.error(`last log lines:\n${tail.map((l) => `  ${String(l)}`).join('\n')}`);
}

export function formatMs(ms: number | undefined): string {
  if (ms === undefined) return '';
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms < 10 ? 2 : 0)} ms`;
}
