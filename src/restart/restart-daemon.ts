// `slotswap restart`, the running daemon's side: wait for the running operation, start a new daemon from the code on
// disk now, hand it the listening sockets, and only once it serves stop accepting, finish in-flight requests, exit.
import { spawn, type ChildProcess } from 'node:child_process';
import type net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { SlotswapError } from '../errors.js';
import { RESTART_LOCK_WAIT_MS, RESTART_READY_TIMEOUT_MS } from '../defaults.js';
import type { Orchestrator } from '../ops/orchestrator.js';
import type { SlotName } from '../config/config-types.js';
import { signalGroup } from '../slots/process-group.js';
import type { DaemonRuntimeInfo } from '../runtime-file.js';
import { continueDrain } from '../ops/startup.js';
import { slotswapVersion } from './slotswap-version.js';
import { HANDOVER_ENV, type ChildReport, type HandoverMessage, type ListenAt, type ListenerName } from './handover-protocol.js';

export interface RestartResult {
  oldPid: number;
  newPid: number;
  /** The new daemon's slotswap version (package.json of the code it runs). */
  version: string;
  ms: number;
}

export interface HandoverSources {
  orch: Orchestrator;
  servers: Partial<Record<ListenerName, net.Server>>;
  listenAt: Partial<Record<ListenerName, ListenAt>>;
  runtime: () => DaemonRuntimeInfo;
  /** Once the new daemon serves: close the listeners (not the handed-over sockets) and finish in-flight requests. */
  finish: () => Promise<void>;
}

const LOCK_POLL_MS = 50;

/** A restart waits for a running operation, at most RESTART_LOCK_WAIT_MS, then refuses (409 / exit 4). */
async function waitForLock(orch: Orchestrator, waitMs: number): Promise<void> {
  const until = Date.now() + waitMs;
  while (orch.lock.current) {
    if (Date.now() >= until) {
      const { op } = orch.lock.current;
      throw new SlotswapError('conflict', `an operation (${op}) is still running after ${waitMs / 1000} s; slotswap restart waits for it at most that long: retry once it is over (slotswap status)`, { running: op });
    }
    await sleep(LOCK_POLL_MS);
  }
}

/** The new daemon: the same Node, the same CLI path (so an upgraded install takes over) and arguments; its own session. */
function spawnSuccessor(): ChildProcess {
  const env = { ...process.env, [HANDOVER_ENV]: String(process.pid) };
  // detached: a session of its own, so it is no child that dies with this one's group; stdout/stderr stay ours (the journal).
  return spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], { env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'], detached: true });
}

function sendWith(child: ChildProcess, message: unknown, handle?: net.Server): Promise<void> {
  return new Promise((resolve, reject) => child.send(message as never, handle as never, (err) => (err ? reject(err) : resolve())));
}

/** Resolves with the new daemon's ready report; throws with its own words when it failed, exited or took too long. */
function awaitReport(child: ChildProcess, timeoutMs: number): Promise<Extract<ChildReport, { type: 'ready' }>> {
  return new Promise((resolve, reject) => {
    let failure: string | null = null;
    const timer = setTimeout(() => reject(new SlotswapError('operation_failed', `the new daemon (pid ${child.pid}) did not report ready within ${timeoutMs / 1000} s; it was stopped and this daemon (pid ${process.pid}) keeps serving`)), timeoutMs);
    child.on('message', (report: ChildReport) => {
      if (report.type === 'ready') {
        clearTimeout(timer);
        resolve(report);
      } else if (report.type === 'failed') failure = report.message;
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      const why = failure ?? `it exited with ${signal ?? `code ${code}`} before it served`;
      reject(new SlotswapError('operation_failed', `the new daemon could not start: ${why}. This daemon (pid ${process.pid}) keeps serving; fix the cause and run slotswap restart again`));
    });
    child.once('error', (err) => reject(new SlotswapError('operation_failed', `the new daemon could not be started: ${err.message}; this daemon keeps serving`)));
  });
}

export function createRestart(sources: HandoverSources): (actor: string) => Promise<RestartResult> {
  const { orch } = sources;
  let running = false;
  return async (actor) => {
    if (running) throw new SlotswapError('conflict', 'a restart is already under way; wait for it to finish');
    running = true;
    const started = Date.now();
    let child: ChildProcess | null = null;
    let report: Extract<ChildReport, { type: 'ready' }> | null = null;
    let watcher = orch.supervisor.onUnexpectedExit;
    let drained: SlotName[] = [];
    try {
      await waitForLock(orch, RESTART_LOCK_WAIT_MS);
      await orch.runner.run({
        op: 'restart',
        actor,
        slot: orch.store.data.live,
        fromVersion: orch.liveVersion(),
        context: null,
        record: false,
        steps: [
          {
            name: 'prepare',
            run: async () => {
              // The new daemon drains what was draining; this one must not stop it, nor restart an instance meanwhile.
              drained = [...orch.drains.keys()];
              for (const progress of orch.drains.values()) progress.controller.abort('the daemon is restarting; the new daemon drains the slot');
              await Promise.all([...orch.drains.values()].map((p) => p.done.catch(() => {})));
              watcher = orch.supervisor.onUnexpectedExit;
              orch.supervisor.onUnexpectedExit = () => {};
              await orch.store.save();
              await orch.supervisor.flushPids();
              // From here the state file and instances.json are the new daemon's.
              orch.store.pauseWrites(true);
              orch.supervisor.pidFile.pause(true);
              return drained.length ? `drain of slot ${drained.join(', ')} handed on` : 'nothing draining';
            },
            undo: {
              name: 'resume',
              run: () => {
                orch.supervisor.onUnexpectedExit = watcher;
                orch.store.pauseWrites(false);
                orch.supervisor.pidFile.pause(false);
                void orch.supervisor.flushPids();
                for (const slot of drained) if (orch.store.data.slots[slot].state === 'draining') continueDrain(orch, slot);
                return 'this daemon keeps serving';
              },
            },
          },
          {
            name: 'start',
            run: async () => {
              child = spawnSuccessor();
              const ready = awaitReport(child, RESTART_READY_TIMEOUT_MS);
              ready.catch(() => {});
              const names = Object.keys(sources.servers) as ListenerName[];
              const message: HandoverMessage = { type: 'handover', fromPid: process.pid, listeners: sources.listenAt, holds: orch.proxy?.holdStats().reasons ?? [], actor, fromVersion: slotswapVersion(), startedAt: new Date(started).toISOString(), runtime: sources.runtime() };
              await sendWith(child, message);
              for (const name of names) await sendWith(child, { type: 'listener', name }, sources.servers[name]);
              report = await ready;
              return `pid ${report.pid} serves (slotswap ${report.version})`;
            },
            undo: {
              name: 'stop new',
              run: () => {
                const pid = (child as ChildProcess | null)?.pid;
                if (pid !== undefined) signalGroup(pid, 'SIGKILL');
                return pid === undefined ? 'nothing started' : `pid ${pid} stopped`;
              },
            },
          },
          {
            name: 'hand over',
            run: async () => {
              child!.disconnect();
              child!.unref();
              await sources.finish();
              return 'listeners closed, in-flight requests finished';
            },
          },
        ],
      });
      return { oldPid: process.pid, newPid: report!.pid, version: report!.version, ms: Date.now() - started };
    } finally {
      running = false;
    }
  };
}
