// slotswap start: run the daemon in the foreground (proxy, admin API, supervisor) until SIGINT/SIGTERM.
import type { GlobalOptions } from './global-options.js';
import { reportError } from './report-error.js';
import { verb } from './verb.js';

export const startVerb = verb({
  command: 'start',
  describe: 'run the daemon in the foreground: proxy, admin API, supervisor',
  run: async (options: GlobalOptions) => {
    const { runDaemon } = await import('../daemon.js');
    // Exit explicitly either way: a daemon that failed half-started may still hold a listening socket.
    try {
      process.exit(await runDaemon(options.config));
    } catch (err) {
      process.exit(reportError(err, options.json));
    }
  },
});
