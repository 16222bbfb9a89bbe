// Printing for the demo: narration lines with the elapsed time, indented output of the commands it runs.
const color = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code) => (text) => (color ? `\x1b[${code}m${text}\x1b[0m` : text);
export const bold = paint('1');
export const dim = paint('2');
export const red = paint('31');
export const green = paint('32');
export const cyan = paint('36');

const startedAt = Date.now();

/** Seconds since the demo started, e.g. " 12.3s". */
export function elapsed() {
  return `${((Date.now() - startedAt) / 1000).toFixed(1).padStart(5)}s`;
}

export function elapsedMs() {
  return Date.now() - startedAt;
}

/** A chapter of the story: "==> deploying 1.1.0". */
export function chapter(text) {
  console.log(`\n${dim(elapsed())} ${bold(cyan(`==> ${text}`))}`);
}

/** One narration line under the current chapter. */
export function say(text) {
  console.log(`${dim(elapsed())}     ${text}`);
}

/** A line of a command's own output, indented under the narration. */
export function quote(line, prefix = '') {
  console.log(`${' '.repeat(11)}${dim('│')} ${prefix}${line}`);
}

export function fail(text) {
  console.log(`${dim(elapsed())}     ${red(`FAILED: ${text}`)}`);
}

export function ok(text) {
  console.log(`${dim(elapsed())}     ${green(text)}`);
}

/** 12345 -> "12,345". */
export function count(n) {
  return n.toLocaleString('en-US');
}
