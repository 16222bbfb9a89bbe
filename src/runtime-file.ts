// state/daemon.json: the running daemon's real URLs and pid (needed when the config asks for port 0).
import path from 'node:path';

export interface DaemonRuntimeInfo {
  pid: number;
  proxyUrl: string;
  adminUrl: string;
  publicUrl: string;
  startedAt: string;
  /** False while the daemon restores or bootstraps the live slot; true once start-up is over. */
  ready: boolean;
}

export function runtimeFile(stateFile: string): string {
  return path.join(path.dirname(stateFile), 'daemon.json');
}
