// One instance of a release: its start command in a process group of its own (wrappers included), its output to a log
// file it holds itself (never a pipe to the daemon), the group stopped with SIGTERM then SIGKILL. An instance a previous
// daemon started is adopted: no child handle, its exit found by polling.
import { spawn } from 'node:child_process';
import { closeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { ADOPTED_EXIT_POLL_MS, DEFAULT_DRAIN_STOP_TIMEOUT_MS } from '../defaults.js';
import { SlotswapError } from '../errors.js';
import { InstanceLog, START_MARK } from './instance-log.js';
import { cmdlineOf } from './pid-file.js';
import { crashPoint } from '../ops/crash-points.js';
import { groupMembers, startTimeOf, statOf, signalGroup, stopGroup, waitGroupGone } from './process-group.js';

const SPAWN_ETXTBSY_ATTEMPTS = 10;

const SPAWN_RETRY_MS = 20;

export interface InstanceSpec {
  /** Label used in messages and log names, e.g. "a-1". */
  label: string;
  command: string[];
  cwd: string;
  port: number;
  env: NodeJS.ProcessEnv;
  logFile: string;
  /** How long the group gets between SIGTERM and SIGKILL when it must be stopped without stop() (leftovers of an exited start). */
  stopTimeoutMs?: number;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * The process groups this daemon started and has not handed on: a daemon that dies of an error (not of SIGKILL, not
 * by a handover) takes them along, as before. Adopted instances and those of a handover are never in it.
 */
const liveGroups = new Set<number>();
process.once('exit', () => {
  for (const pgid of liveGroups) signalGroup(pgid, 'SIGKILL');
});

/** A restart hands every instance to the new daemon: from now on this process's exit must leave them running. */
export function disownInstances(): void {
  liveGroups.clear();
}

/** How the process ended, when it was our child; null for an adopted one (its parent is not us). */
type ExitWatch = Promise<ExitInfo>;

/** An adopted process is not our child: no exit event, so its leader is polled (a zombie counts as gone). */
async function pollExit(pid: number): Promise<ExitInfo> {
  for (;;) {
    const stat = await statOf(pid);
    if (!stat || stat.state === 'Z') return { code: null, signal: null };
    await sleep(ADOPTED_EXIT_POLL_MS);
  }
}

export class InstanceProcess {
  readonly spec: InstanceSpec;
  readonly log: InstanceLog;
  readonly #pid: number | undefined;
  /** Adopted from a previous daemon rather than started by this one. */
  readonly adopted: boolean;
  readonly exited: Promise<ExitInfo>;
  #exit: ExitInfo | null = null;
  #spawnError: Error | null = null;
  #stopping = false;
  #gone = false;
  /** What the start command left running in its group when it exited by itself (a start that daemonizes). */
  #leftBehind: string | null = null;

  private constructor(spec: InstanceSpec, pid: number | undefined, log: InstanceLog, exit: ExitWatch | null, adopted: boolean) {
    this.spec = spec;
    this.#pid = pid;
    this.log = log;
    this.adopted = adopted;
    if (pid !== undefined && !adopted) liveGroups.add(pid);
    if (pid !== undefined) log.watch();
    this.exited = new Promise<ExitInfo>((resolve) => {
      this.#resolveExit = resolve;
      exit?.then((info) => {
        if (this.#exit) return;
        this.#exit = info;
        void log.note(`exited with ${info.signal ?? (info.code === null ? 'an unknown status (not our child)' : `code ${info.code}`)}`);
        // Resolved only once nothing of the group runs: a wrapper's child may outlive the wrapper.
        void this.#settleGroup().then(() => {
          this.#gone = true;
          if (pid !== undefined) liveGroups.delete(pid);
          void log.close();
          resolve(info);
        });
      });
    });
  }

  /** After the start command exited: waits for its group to empty, stopping what an unasked exit left behind. */
  async #settleGroup(): Promise<void> {
    const pgid = this.pgid;
    if (pgid === undefined) return;
    const stopTimeoutMs = this.spec.stopTimeoutMs ?? DEFAULT_DRAIN_STOP_TIMEOUT_MS;
    if (this.#stopping) {
      // stop() is signalling the group; bounded by its SIGTERM and SIGKILL waits.
      await waitGroupGone(pgid, 2 * stopTimeoutMs + 1_000);
      return;
    }
    const left = await groupMembers(pgid);
    if (left.length === 0) return;
    const named = await Promise.all(left.slice(0, 3).map(async (pid) => `pid ${pid}: ${(await cmdlineOf(pid))?.trim() ?? '?'}`));
    this.#leftBehind = `${left.length} process(es) (${named.join('; ')})`;
    void this.log.note(`the start command exited but left ${this.#leftBehind} running in its process group: stopping them`);
    await stopGroup(pgid, stopTimeoutMs, () => void this.log.note(`its process group did not exit within ${stopTimeoutMs} ms of SIGTERM: SIGKILL`));
  }

  /** Spawns the process; resolves once it runs (or failed to start, which describeExit() then explains). */
  static async start(spec: InstanceSpec): Promise<InstanceProcess> {
    const log = new InstanceLog(spec.logFile);
    const [command, ...args] = spec.command;
    // "node" means the daemon's own Node, so a release runs on the version slotswap was tested with.
    const file = command === 'node' ? process.execPath : command!;
    await log.note(`${START_MARK} ${spec.port}`);
    for (let attempt = 1; ; attempt++) {
      // The child's stdout/stderr are its own descriptor on the log file: no pipe ties it to this daemon's life.
      const fd = await log.openForChild();
      // detached: a new session and process group led by the child, so a wrapper's children are stopped with it.
      const child = spawn(file, args, { cwd: spec.cwd, env: spec.env, stdio: ['ignore', fd, fd], shell: false, detached: true });
      const started = await new Promise<NodeJS.ErrnoException | null>((resolve) => {
        child.once('spawn', () => resolve(null));
        child.once('error', (err) => resolve(err));
      });
      closeSync(fd);
      crashPoint('start', 'after-spawn');
      // A just-renamed executable can still be open for writing somewhere for a moment: retry briefly.
      if (started?.code === 'ETXTBSY' && attempt < SPAWN_ETXTBSY_ATTEMPTS) {
        await sleep(SPAWN_RETRY_MS);
        continue;
      }
      child.on('error', () => {});
      // The ChildProcess is dropped once it exits; unref'd, so a handed-over instance never keeps this daemon up.
      child.unref();
      const exit = new Promise<ExitInfo>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
      const instance = new InstanceProcess(spec, started ? undefined : child.pid, log, started ? null : exit, false);
      if (started) instance.#failedToStart(started);
      else {
        instance.startTime = (await startTimeOf(child.pid!)) ?? undefined;
        await log.note(`started pid ${child.pid} on port ${spec.port}: ${spec.command.join(' ')}`);
      }
      return instance;
    }
  }

  /** Takes over a process a previous daemon started (the caller checked it is ours); its exit is found by polling. */
  static adopt(spec: InstanceSpec, pid: number, startTime: number | undefined): InstanceProcess {
    const log = new InstanceLog(spec.logFile);
    const instance = new InstanceProcess(spec, pid, log, pollExit(pid), true);
    instance.startTime = startTime;
    void log.note(`${START_MARK} ${spec.port}`).then(() => log.note(`adopted pid ${pid} on port ${spec.port} from a previous daemon`));
    return instance;
  }

  /** The leader's start time (/proc), recorded so that a later daemon can tell it from a process that reused its pid. */
  startTime: number | undefined;

  #resolveExit: (exit: ExitInfo) => void = () => {};

  #failedToStart(err: Error): void {
    this.#spawnError = err;
    this.#exit = { code: null, signal: null };
    this.#gone = true;
    void this.log.note(`could not start ${JSON.stringify(this.spec.command[0])}: ${err.message}`);
    this.#resolveExit(this.#exit);
  }

  get pid(): number | undefined {
    return this.#pid;
  }

  /** The instance's process group: the start command leads it, so its pid. */
  get pgid(): number | undefined {
    return this.#pid;
  }

  /** The start command still runs (its leftovers may run a moment longer; see gone). */
  get running(): boolean {
    return this.#exit === null;
  }

  /** Nothing of the instance's process group runs any more. */
  get gone(): boolean {
    return this.#gone;
  }

  get stopping(): boolean {
    return this.#stopping;
  }

  /** Why the process is not running, in words an operator can act on. */
  describeExit(): string {
    if (this.#spawnError && this.#pid === undefined) {
      const code = (this.#spawnError as NodeJS.ErrnoException).code;
      const hint = code === 'ENOENT' ? 'was not found' : code === 'EACCES' ? 'is not executable' : `failed (${this.#spawnError.message})`;
      return `start command ${JSON.stringify(this.spec.command[0])} ${hint} (cwd ${this.spec.cwd}); check "start" in release.json`;
    }
    const how = this.#exit ? (this.#exit.signal ?? (this.#exit.code === null ? 'an unknown status (adopted: not our child)' : `code ${this.#exit.code}`)) : '';
    if (this.#leftBehind && this.#exit?.signal) {
      return `instance ${this.spec.label}'s start command was ended by ${how}; slotswap stopped the ${this.#leftBehind} it left running in its process group`;
    }
    if (this.#leftBehind) {
      return `instance ${this.spec.label}'s start command exited with ${how} but left ${this.#leftBehind} running in its process group; slotswap stopped them. A start command that puts the server in the background is not supported: run the server in the foreground (exec it, and no trailing &)`;
    }
    if (this.#exit) return `instance ${this.spec.label} exited with ${how}`;
    return `instance ${this.spec.label} is running`;
  }

  /** SIGTERM to the whole process group, SIGKILL to it once stopTimeoutMs has passed; resolves when none of it runs. */
  async stop(stopTimeoutMs: number): Promise<ExitInfo> {
    this.#stopping = true;
    const pgid = this.pgid;
    if (pgid !== undefined && !this.#gone) {
      await stopGroup(pgid, stopTimeoutMs, () => void this.log.note(`did not exit within ${stopTimeoutMs} ms of SIGTERM: SIGKILL to its process group`));
    }
    const exit = await this.exited;
    await this.log.close();
    return exit;
  }

  assertRunning(): void {
    if (!this.running) throw new SlotswapError('operation_failed', this.describeExit());
  }
}
