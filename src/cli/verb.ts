// One CLI verb: its command line, its help, its own flags, and what it runs; main.ts only registers verbs.
import type { Argv } from 'yargs';

export interface Verb<O> {
  command: string;
  describe: string;
  /** Declares the verb's own positionals and flags (with help text for each). */
  builder?: (y: Argv) => Argv<unknown>;
  /** Resolves with the exit code. */
  run: (options: O) => Promise<number>;
}

/** Keeps each verb's own options type while main.ts holds them in one list. */
export const verb = <O>(v: Verb<O>): Verb<never> => v as unknown as Verb<never>;
