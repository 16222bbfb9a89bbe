// slotswap restart: a new daemon from the code installed now takes over the listening sockets and the running
// instances; the old one exits once the new one serves. No connection is refused, no instance restarted.
import { AdminClient } from './admin-client.js';
import type { GlobalOptions } from './global-options.js';
import { printJson } from './output.js';
import { verb } from './verb.js';

interface RestartAnswer {
  oldPid: number;
  newPid: number;
  version: string;
  ms: number;
}

export async function restartCommand(options: GlobalOptions): Promise<number> {
  const client = await AdminClient.fromOptions(options);
  const answer = await client.json<RestartAnswer>('POST', '/api/restart');
  if (options.json) printJson(answer);
  else console.log(`restarted: daemon pid ${answer.oldPid} -> ${answer.newPid}, slotswap ${answer.version}, in ${(answer.ms / 1000).toFixed(1)} s; instances kept running`);
  return 0;
}

export const restartVerb = verb({ command: 'restart', describe: 'restart the daemon from the installed code, keeping its sockets and instances (no refused connection)', run: restartCommand });
