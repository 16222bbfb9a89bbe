// Checks along the story: each expectation is printed and remembered, so a broken promise fails the demo.
import { count, fail, ok, say } from './output.mjs';

/** Prints the outcome of one expectation and records a failure. */
export function expect(ctx, condition, okText, failText) {
  if (condition) ok(`ok: ${okText}`);
  else {
    fail(failText);
    ctx.failures.push(failText);
  }
}

/** One progress line of a load: what it sent and who answered since the last line. */
export function reportLoad(ctx, load) {
  const { sent, failed, served } = load.progress();
  const line = `load (${load.name}): +${count(sent)} requests, ${failed} failed; answered by ${served}`;
  if (failed > 0) fail(line);
  else say(line);
}
