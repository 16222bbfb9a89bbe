// One OS process of a release: spawned without a shell, logs captured, stopped with SIGTERM then SIGKILL.
import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { SlotswapError } from '../errors.js';
import { CappedLog } from './capped-log.js';

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
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Every child the daemon has started, so they can be killed when the daemon exits. */
const liveChildren = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of liveChildren) child.kill('SIGKILL');
});

export class InstanceProcess {
  readonly spec: InstanceSpec;
  readonly log: CappedLog;
  readonly #child: ChildProcess;
  readonly exited: Promise<ExitInfo>;
  #exit: ExitInfo | null = null;
  #spawnError: Error | null = null;
  #stopping = false;

  private constructor(spec: InstanceSpec, child: ChildProcess, log: CappedLog) {
    this.spec = spec;
    this.#child = child;
    this.log = log;
    liveChildren.add(child);
    child.stdout?.on('data', (chunk: Buffer) => log.write(chunk));
    child.stderr?.on('data', (chunk: Buffer) => log.write(chunk));
    this.exited = new Promise<ExitInfo>((resolve) => {
      this.#resolveExit = resolve;
      child.on('error', () => {});
      child.once('exit', (code, signal) => {
        this.#exit = { code, signal };
        liveChildren.delete(child);
        log.note(`exited with ${signal ?? `code ${code}`}`);
        resolve(this.#exit);
      });
    });
  }

  /** Spawns the process; resolves once it runs (or failed to start, which describeExit() then explains). */
  static async start(spec: InstanceSpec): Promise<InstanceProcess> {
    const log = new CappedLog(spec.logFile);
    const [command, ...args] = spec.command;
    // "node" means the daemon's own Node, so a release runs on the version slotswap was tested with.
    const file = command === 'node' ? process.execPath : command!;
    for (let attempt = 1; ; attempt++) {
      const child = spawn(file, args, { cwd: spec.cwd, env: spec.env, stdio: ['ignore', 'pipe', 'pipe'], shell: false });
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
    liveChildren.delete(this.#child);
    this.log.note(`could not start ${JSON.stringify(this.spec.command[0])}: ${err.message}`);
    this.#resolveExit(this.#exit);
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  get running(): boolean {
    return this.#exit === null;
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
    if (this.#exit) return `instance ${this.spec.label} exited with ${this.#exit.signal ?? `code ${this.#exit.code}`}`;
    return `instance ${this.spec.label} is running`;
  }

  /** SIGTERM, then SIGKILL once stopTimeoutMs has passed; resolves when the process is gone. */
  async stop(stopTimeoutMs: number): Promise<ExitInfo> {
    this.#stopping = true;
    if (this.#exit) return this.#exit;
    this.#child.kill('SIGTERM');
    const timer = setTimeout(() => {
      this.log.note(`did not exit within ${stopTimeoutMs} ms of SIGTERM: SIGKILL`);
      this.#child.kill('SIGKILL');
    }, stopTimeoutMs);
    const exit = await this.exited;
    clearTimeout(timer);
    await this.log.close();
    return exit;
  }

  assertRunning(): void {
    if (!this.running) throw new SlotswapError('operation_failed', this.describeExit());
  }
}
