// state/daemon.json: the running daemon's real URLs and pid (needed when the config asks for port 0).
import path from 'node:path';

export interface DaemonRuntimeInfo {
  pid: number;
  proxyUrl: string;
  adminUrl: string;
  publicUrl: string;
  startedAt: string;
}

export function runtimeFile(stateFile: string): string {
  return path.join(path.dirname(stateFile), 'daemon.json');
}
