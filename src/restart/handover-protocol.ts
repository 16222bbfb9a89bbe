// The messages between the running daemon and the one it starts on `slotswap restart`, over the IPC channel.
import type { DaemonRuntimeInfo } from '../runtime-file.js';

/** Set in the new daemon's environment: the pid of the daemon handing over (it is not a second daemon to refuse). */
export const HANDOVER_ENV = 'SLOTSWAP_HANDOVER_FROM';

export type ListenerName = 'proxy' | 'https' | 'admin';

/** Where the old daemon was told to listen (the config as it read it): the handed-over sockets are bound there. */
export interface ListenAt {
  host: string;
  port: number;
}

/** First message: what follows and what the old daemon had in memory only. */
export interface HandoverMessage {
  type: 'handover';
  fromPid: number;
  listeners: Partial<Record<ListenerName, ListenAt>>;
  /** Hold reasons on now (an operator hold): the new daemon holds for the same ones. */
  holds: string[];
  /** Who asked for the restart (recorded by the new daemon: the old one no longer writes the state). */
  actor: string;
  /** The old daemon's slotswap version, for the history entry. */
  fromVersion: string;
  /** When the old daemon began the restart (ISO time), for the history entry's duration. */
  startedAt: string;
  runtime: DaemonRuntimeInfo;
}

/** One per listener, each carrying the listening server's handle. */
export interface ListenerMessage {
  type: 'listener';
  name: ListenerName;
}

/** From the new daemon: it serves on the handed-over sockets (ready), or it could not start (failed, and why). */
export type ChildReport = { type: 'ready'; pid: number; version: string } | { type: 'failed'; message: string };
