// slotswap start: run the daemon in the foreground (proxy, admin API, supervisor) until SIGINT/SIGTERM.
import type { GlobalOptions } from './global-options.js';
import { reportError } from './report-error.js';
import { verb } from './verb.js';
import { reportToOld } from '../restart/receive-handover.js';

export const startVerb = verb({
  command: 'start',
  describe: 'run the daemon in the foreground: proxy, admin API, supervisor',
  run: async (options: GlobalOptions) => {
    const { runDaemon } = await import('../daemon.js');
    // Exit explicitly either way: a daemon that failed half-started may still hold a listening socket.
    try {
      process.exit(await runDaemon(options.config));
    } catch (err) {
      // A daemon started by slotswap restart tells the one handing over why, so that the restart command can say it.
      await reportToOld({ type: 'failed', message: (err as Error).message });
      process.exit(reportError(err, options.json));
    }
  },
});
