// One instance of a release: its start command in a process group of its own (wrappers included), logs captured, the group stopped with SIGTERM then SIGKILL.
import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_DRAIN_STOP_TIMEOUT_MS } from '../defaults.js';
import { SlotswapError } from '../errors.js';
import { CappedLog } from './capped-log.js';
import { cmdlineOf } from './pid-file.js';
import { groupMembers, signalGroup, stopGroup, waitGroupGone } from './process-group.js';

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

/** The process group of every instance not known to be gone, so that all of each group dies with the daemon. */
const liveGroups = new Set<number>();
process.once('exit', () => {
  for (const pgid of liveGroups) signalGroup(pgid, 'SIGKILL');
});

export class InstanceProcess {
  readonly spec: InstanceSpec;
  readonly log: CappedLog;
  readonly #child: ChildProcess;
  readonly exited: Promise<ExitInfo>;
  #exit: ExitInfo | null = null;
  #spawnError: Error | null = null;
  #stopping = false;
  #gone = false;
  /** What the start command left running in its group when it exited by itself (a start that daemonizes). */
  #leftBehind: string | null = null;

  private constructor(spec: InstanceSpec, child: ChildProcess, log: CappedLog) {
    this.spec = spec;
    this.#child = child;
    this.log = log;
    if (child.pid !== undefined) liveGroups.add(child.pid);
    child.stdout?.on('data', (chunk: Buffer) => log.write(chunk));
    child.stderr?.on('data', (chunk: Buffer) => log.write(chunk));
    this.exited = new Promise<ExitInfo>((resolve) => {
      this.#resolveExit = resolve;
      child.on('error', () => {});
      child.once('exit', (code, signal) => {
        const exit = { code, signal };
        this.#exit = exit;
        log.note(`exited with ${signal ?? `code ${code}`}`);
        // Resolved only once nothing of the group runs: a wrapper's child may outlive the wrapper.
        void this.#settleGroup().then(() => {
          this.#gone = true;
          if (child.pid !== undefined) liveGroups.delete(child.pid);
          resolve(exit);
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
    this.log.note(`the start command exited but left ${this.#leftBehind} running in its process group: stopping them`);
    await stopGroup(pgid, stopTimeoutMs, () => this.log.note(`its process group did not exit within ${stopTimeoutMs} ms of SIGTERM: SIGKILL`));
  }

  /** Spawns the process; resolves once it runs (or failed to start, which describeExit() then explains). */
  static async start(spec: InstanceSpec): Promise<InstanceProcess> {
    const log = new CappedLog(spec.logFile);
    const [command, ...args] = spec.command;
    // "node" means the daemon's own Node, so a release runs on the version slotswap was tested with.
    const file = command === 'node' ? process.execPath : command!;
    for (let attempt = 1; ; attempt++) {
      // detached: a new session and process group led by the child, so a wrapper's children are stopped with it.
      const child = spawn(file, args, { cwd: spec.cwd, env: spec.env, stdio: ['ignore', 'pipe', 'pipe'], shell: false, detached: true });
      const started = await new Promise<NodeJS.ErrnoException | null>((resolve) => {
        child.once('spawn', () => resolve(null));
        child.once('error', (err) => resolve(err));
      });
      // A just-renamed executable can still be open for writing somewhere for a moment: retry briefly.
      if (started?.code === 'ETXTBSY' && attempt < SPAWN_ETXTBSY_ATTEMPTS) {
        await sleep(SPAWN_RETRY_MS);
        continue;
      }
      const instance = new InstanceProcess(spec, child, log);
      if (started) instance.#failedToStart(started);
      else log.note(`started pid ${child.pid} on port ${spec.port}: ${spec.command.join(' ')}`);
      return instance;
    }
  }

  #resolveExit: (exit: ExitInfo) => void = () => {};

  #failedToStart(err: Error): void {
    this.#spawnError = err;
    this.#exit = { code: null, signal: null };
    this.#gone = true;
    if (this.#child.pid !== undefined) liveGroups.delete(this.#child.pid);
    this.log.note(`could not start ${JSON.stringify(this.spec.command[0])}: ${err.message}`);
    this.#resolveExit(this.#exit);
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** The instance's process group: the start command leads it, so its pid. */
  get pgid(): number | undefined {
    return this.#child.pid;
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
    if (this.#spawnError && this.#child.pid === undefined) {
      const code = (this.#spawnError as NodeJS.ErrnoException).code;
      const hint = code === 'ENOENT' ? 'was not found' : code === 'EACCES' ? 'is not executable' : `failed (${this.#spawnError.message})`;
      return `start command ${JSON.stringify(this.spec.command[0])} ${hint} (cwd ${this.spec.cwd}); check "start" in release.json`;
    }
    const how = this.#exit ? (this.#exit.signal ?? `code ${this.#exit.code}`) : '';
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
      await stopGroup(pgid, stopTimeoutMs, () => this.log.note(`did not exit within ${stopTimeoutMs} ms of SIGTERM: SIGKILL to its process group`));
    }
    const exit = await this.exited;
    await this.log.close();
    return exit;
  }

  assertRunning(): void {
    if (!this.running) throw new SlotswapError('operation_failed', this.describeExit());
  }
}
