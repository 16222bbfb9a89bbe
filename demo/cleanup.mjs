// Leaves nothing running: every child and daemon is registered here, and cleaned up on the way out,
// on Ctrl-C and when the demo runs over its time limit.
import { fail, say } from './output.mjs';

/** @type {Map<object, { name: string, child: import('node:child_process').ChildProcess }>} */
const children = new Map();
/** @type {{ name: string, run: () => Promise<void> }[]} */
const cleanups = [];
let cleaning = null;
let aborting = false;

/** True once Ctrl-C or the time limit has started the clean-up: the story's own errors are then expected, not news. */
export function isAborting() {
  return aborting;
}

/** Registers a short-lived child (a CLI call) so an abort can kill it; returns the unregister function. */
export function track(name, child) {
  const key = {};
  children.set(key, { name, child });
  return () => children.delete(key);
}

/** Registers a clean-up step; steps run in reverse order of registration, each bounded in time by itself. */
export function onCleanup(name, run) {
  cleanups.push({ name, run });
}

/** Runs every clean-up step once (later calls get the same promise). */
export function cleanUp() {
  cleaning ??= (async () => {
    for (const { child } of children.values()) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    children.clear();
    for (const { name, run } of cleanups.reverse()) {
      try {
        await run();
      } catch (err) {
        fail(`clean-up: ${name}: ${err.message}`);
      }
    }
  })();
  return cleaning;
}

/**
 * Ctrl-C (SIGINT), SIGTERM/SIGHUP and the time limit: clean up and exit. A second Ctrl-C exits at once
 * (the daemons' instances are then killed by the daemons' own clean-up, or were killed with them).
 * @param {{ limitMs: number, hardLimitMs: number }} limits
 */
export function installAbortHandlers({ limitMs, hardLimitMs }) {
  const abort = async (why, code) => {
    if (aborting) {
      console.log(`\n${why} again: exiting now`);
      process.exit(code);
    }
    aborting = true;
    console.log('');
    fail(`${why}: stopping everything`);
    await cleanUp();
    say('clean-up done');
    process.exit(code);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => void abort(`interrupted (${signal})`, 130));
  setTimeout(() => void abort(`the demo ran over its ${limitMs / 1000} s limit`, 1), limitMs).unref();
  // Whatever happens, the process ends within the hard limit.
  setTimeout(() => {
    console.log(`the demo's clean-up did not finish within ${hardLimitMs / 1000} s: exiting`);
    process.exit(1);
  }, hardLimitMs).unref();
}
