#!/usr/bin/env -S node --max-semi-space-size=4
// The slotswap CLI: registers the verbs (each declares its own flags in its own file) and maps errors to exit codes.
import { readFileSync } from 'node:fs';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { SlotswapError, EXIT_USAGE } from '../errors.js';
import { withGlobalOptions, type GlobalOptions } from './global-options.js';
import { reportError } from './report-error.js';
import type { Verb } from './verb.js';
import { startVerb } from './start-command.js';
import { deployVerb } from './deploy-command.js';
import { statusVerb } from './status-command.js';
import { hotswapVerb } from './hotswap-command.js';
import { rollbackVerb } from './rollback-command.js';
import { drainVerb } from './drain-command.js';
import { historyVerb } from './history-command.js';
import { logsVerb } from './logs-command.js';
import { holdVerb } from './hold-command.js';
import { resumeVerb } from './resume-command.js';
import { flipVerb } from './flip-command.js';
import { noticeVerb } from './notice-command.js';
import { configVerb } from './config-command.js';
import { tlsVerb } from './tls-command.js';
import { maintenanceVerb } from './maintenance-command.js';
import { canaryVerb } from './canary-command.js';
import { abortVerb, promoteVerb } from './promote-command.js';
import { restartVerb } from './restart-command.js';

const VERBS: Verb<never>[] = [startVerb, deployVerb, statusVerb, hotswapVerb, rollbackVerb, drainVerb, historyVerb, logsVerb, holdVerb, resumeVerb, flipVerb, noticeVerb, configVerb, tlsVerb, maintenanceVerb, canaryVerb, promoteVerb, abortVerb, restartVerb];
const NO_COMMAND = 'name a command';

/** package.json's version: dist/cli/main.js sits two folders below it. */
function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

let jsonOutput = process.argv.includes('--json');

async function main(): Promise<number> {
  // Not yargs' --version: that flag is global and would take deploy's own --version away.
  if (hideBin(process.argv)[0] === '--version') {
    console.log(packageVersion());
    return 0;
  }
  let code = 0;
  let suggestion: string | null = null;
  const cli = withGlobalOptions(yargs(hideBin(process.argv))).scriptName('slotswap');
  for (const v of VERBS) {
    cli.command(v.command, v.describe, v.builder ?? {}, async (argv) => {
      jsonOutput = (argv as unknown as GlobalOptions).json;
      code = await v.run(argv as never);
    });
  }
  cli
    .demandCommand(1, NO_COMMAND)
    .recommendCommands()
    .strict()
    .version(false)
    .help()
    .epilogue(`slotswap --version prints the version (${packageVersion()}). Docs: docs/cli.md`)
    .fail((message, err, y) => {
      if (err) throw err;
      // A bare call gets the help itself, on stderr (exit 2: nothing was done).
      if (message === NO_COMMAND) {
        y.showHelp('error');
        throw new SlotswapError('bad_request', 'name a command: the list is above');
      }
      // yargs calls again at once with "Unknown argument: deplyo": one message names the typo and the suggestion.
      if (message.startsWith('Did you mean')) {
        suggestion = message;
        return;
      }
      throw new SlotswapError('bad_request', suggestion ? `${message}. ${suggestion} (slotswap --help lists the commands)` : `${message}; see slotswap --help`);
    });
  await cli.parseAsync();
  if (suggestion) throw new SlotswapError('bad_request', `${suggestion} (slotswap --help lists the commands)`);
  return code;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.exitCode = reportError(err, jsonOutput) || EXIT_USAGE;
  },
);
