#!/usr/bin/env -S node --max-semi-space-size=4
// The slotswap CLI: parse, call the admin API (or run the daemon), print; one error boundary maps errors to exit codes.
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { SlotswapError, toSlotswapError, EXIT_USAGE } from '../errors.js';
import { withGlobalOptions, type GlobalOptions } from './global-options.js';
import { statusCommand } from './status-command.js';
import { flipCommand } from './flip-command.js';
import { configCheckCommand } from './config-command.js';
import { deployCommand } from './deploy-command.js';
import { noticeCommand } from './notice-command.js';
import { holdCommand, resumeCommand } from './hold-command.js';
import { hotswapCommand } from './hotswap-command.js';
import { drainCommand, historyCommand, logsCommand } from './operations-commands.js';
import { rollbackCommand, rollbackFlags } from './rollback-command.js';
import { printLogTail } from './output.js';

let jsonOutput = process.argv.includes('--json');

function report(err: unknown): number {
  const error = toSlotswapError(err);
  if (jsonOutput) process.stdout.write(`${JSON.stringify(error.toJSON())}\n`);
  else {
    console.error(`slotswap: ${error.message}`);
    const { logTail, rejectedFile } = error.details ?? {};
    if (typeof rejectedFile === 'string') console.error(`rejected file kept at ${rejectedFile}`);
    printLogTail(logTail);
  }
  return error.exitCode;
}

async function main(): Promise<number> {
  let code = 0;
  const run = (command: (options: never) => Promise<number>) => async (argv: unknown) => {
    jsonOutput = (argv as GlobalOptions).json;
    code = await command(argv as never);
  };
  const cli = withGlobalOptions(yargs(hideBin(process.argv)))
    .scriptName('slotswap')
    .command('start', 'run the daemon in the foreground: proxy, admin API, supervisor', {}, run(async (options: GlobalOptions) => {
      const { runDaemon } = await import('../daemon.js');
      // Exit explicitly either way: a daemon that failed half-started may still hold a listening socket.
      try {
        process.exit(await runDaemon(options.config));
      } catch (err) {
        process.exit(report(err));
      }
    }))
    .command(
      'deploy <release>',
      'deploy a release folder or .tgz to the idle slot and flip to it',
      (y) =>
        y
          .positional('release', { type: 'string', demandOption: true, describe: 'release folder (with release.json) or .tgz' })
          .option('version', { type: 'string', describe: 'override release.json version' })
          .option('min-compatible', { type: 'string', describe: 'override minCompatibleVersion' })
          .option('allow-downgrade', { type: 'boolean', default: false, describe: 'allow a version not above the live one' })
          .option('in-place', { type: 'boolean', default: false, describe: 'replace the live slot under a hold instead' })
          .option('wait-drain', { type: 'boolean', default: false, describe: 'return only once the old slot has drained and stopped' })
          .option('timeout', { type: 'number', describe: 'give up waiting after this many seconds' }),
      run(deployCommand),
    )
    .command('status', 'show both slots, which is live, in-flight requests and the manifest URL', {}, run(statusCommand))
    .command(
      'hotswap <target> [file]',
      'upload a new server executable (hotswap upload <file>), swap it in (hotswap update), or both (hotswap <file>)',
      (y) => y.positional('target', { type: 'string', demandOption: true, describe: 'upload, update, or the file to upload and swap in' }).positional('file', { type: 'string' }),
      run(hotswapCommand),
    )
    .command('rollback', 'return to the release that was live before this one (instant flip while it still runs, else a redeploy of its archive)', rollbackFlags, run(rollbackCommand))
    .command(
      'drain',
      'show drain progress; --now stops the draining slot once its in-flight requests finish',
      (y) => y.option('slot', { type: 'string', choices: ['a', 'b'] }).option('now', { type: 'boolean', default: false }),
      run(drainCommand),
    )
    .command('history', 'past deploys, flips, rollbacks, holds and hotswaps with step timings', (y) => y.option('limit', { type: 'number', default: 20 }), run(historyCommand))
    .command(
      'logs [slot]',
      "the instances' stdout/stderr",
      (y) =>
        y
          .positional('slot', { type: 'string', choices: ['a', 'b'], describe: 'default: the live slot' })
          .option('lines', { type: 'number', default: 100 })
          .option('follow', { type: 'boolean', default: false, alias: 'f' }),
      run(logsCommand),
    )
    .command('hold', 'put new requests on hold (they wait; in-flight ones finish)', {}, run(holdCommand))
    .command('resume', 'take requests off hold and replay the waiting ones in arrival order', {}, run(resumeCommand))
    .command('flip', 'make the other slot live, if it is running and healthy', {}, run(flipCommand))
    .command(
      'notice <action> [text]',
      'set or clear the upgrade notice shown in the manifest',
      (y) =>
        y
          .positional('action', { choices: ['set', 'clear'] as const, demandOption: true })
          .positional('text', { type: 'string', describe: 'the notice text (for set)' })
          .option('mandatory', { type: 'boolean', default: false, describe: 'clients must upgrade' })
          .check((argv) => {
            if (argv.action === 'set' && !argv.text) throw new SlotswapError('bad_request', 'notice set needs the text: slotswap notice set "Version 2 is out" [--mandatory]');
            return true;
          }),
      run(noticeCommand),
    )
    .command('config <action>', 'validate the config', (y) => y.positional('action', { choices: ['check'] as const, demandOption: true }), run(configCheckCommand))
    .demandCommand(1, 'name a command; see slotswap --help')
    .strict()
    .version(false)
    .help()
    .fail((message, err) => {
      throw err ?? new SlotswapError('bad_request', `${message}; see slotswap --help`);
    });
  await cli.parseAsync();
  return code;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.exitCode = err instanceof SlotswapError ? report(err) : report(err) || EXIT_USAGE;
  },
);
