// Runs each slot's instances: checks ports, spawns N processes, waits until all are healthy, stops them.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { SlotswapError } from '../errors.js';
import type { Config, SlotName } from '../config/config-types.js';
import type { ReleaseInfo } from '../state/state-types.js';
import { InstanceProcess, type InstanceSpec } from './instance-process.js';
import { PidFile, isAdoptable, type PidRecord } from './pid-file.js';
import { waitHealthy, type HealthProgress } from './health-check.js';
import { isPortFree, waitPortFree } from './port-check.js';
import { FAST_HEALTH_INTERVAL_MS, HEALTH_PROGRESS_INTERVAL_MS } from '../defaults.js';

/** One instance's health wait so far, reported about once a second while the health step runs. */
export interface InstanceHealthProgress extends HealthProgress {
  label: string;
}

export type HealthProgressListener = (slot: SlotName, progress: readonly InstanceHealthProgress[], ms: number) => void;

export interface StartRequest {
  slot: SlotName;
  release: ReleaseInfo;
  /** Folder the release runs from (working directory of every instance). */
  dir: string;
  /** Command line, when it is not the release's own start (hotswap runs an executable). */
  command?: string[];
  basePort: number;
}

/** The daemon's environment minus its own secrets: an instance has no business with the admin token. */
function instanceEnvironment(): NodeJS.ProcessEnv {
  const { SLOTSWAP_ADMIN_TOKEN: _admin, SLOTSWAP_TOKEN: _token, ...env } = process.env;
  return env;
}

export class Supervisor {
  readonly #config: Config;
  readonly logsDir: string;
  readonly pidFile: PidFile;
  readonly #running = new Map<SlotName, InstanceProcess[]>();
  /** Bumped whenever a slot's set of instances is started, stopped, adopted or let go: a restart begun before is stale. */
  readonly #generations = new Map<SlotName, number>();
  /** Called when an instance exits without being asked to stop. */
  onUnexpectedExit: (slot: SlotName, instance: InstanceProcess) => void = () => {};

  constructor(config: Config) {
    this.#config = config;
    this.logsDir = path.join(path.dirname(config.stateFile), 'logs');
    this.pidFile = new PidFile(path.join(path.dirname(config.stateFile), 'instances.json'));
  }

  /** Awaitable, for the daemon's shutdown: the file must say "none" before the process exits. */
  async flushPids(): Promise<void> {
    await this.pidFile.record(this.#currentPids());
  }

  #currentPids(starting: readonly InstanceProcess[] = []): PidRecord[] {
    const records: PidRecord[] = [];
    for (const instances of [...this.#running.values(), starting]) {
      // Until its whole group is gone: what a wrapper left behind must still be reaped after a crash.
      for (const i of instances) {
        if (i.gone || i.pid === undefined || i.pgid === undefined) continue;
        records.push({ pid: i.pid, pgid: i.pgid, label: i.spec.label, port: i.spec.port, slot: i.spec.env.SLOTSWAP_SLOT, file: i.spec.command[0] === 'node' ? process.execPath : i.spec.command[0]!, ...(i.startTime ? { startTime: i.startTime } : {}) });
      }
    }
    return records;
  }

  #recordPids(): void {
    void this.pidFile.record(this.#currentPids());
  }

  /** Starts one instance and watches it: an exit nobody asked for is reported. */
  async #launch(slot: SlotName, spec: InstanceSpec): Promise<InstanceProcess> {
    return this.#watch(slot, await InstanceProcess.start(spec));
  }

  /** An exit nobody asked for (not stopping, still one of the slot's instances) is reported. */
  #watch(slot: SlotName, instance: InstanceProcess): InstanceProcess {
    void instance.exited.then(() => {
      this.#recordPids();
      if (!instance.stopping && this.#running.get(slot)?.includes(instance)) this.onUnexpectedExit(slot, instance);
    });
    return instance;
  }

  generation(slot: SlotName): number {
    return this.#generations.get(slot) ?? 0;
  }

  #nextGeneration(slot: SlotName): void {
    this.#generations.set(slot, this.generation(slot) + 1);
  }

  /**
   * Starts instance `index` of a running slot again with the same command, port and env; resolves once healthy.
   * Throws `conflict` when the slot was stopped or started anew meanwhile (an operation owns it now).
   */
  async respawn(slot: SlotName, index: number, healthPath: string): Promise<InstanceProcess> {
    const instances = this.#running.get(slot);
    const old = instances?.[index];
    if (!instances || !old) throw new SlotswapError('conflict', `slot ${slot} has no instance ${index + 1} to restart`);
    const generation = this.generation(slot);
    const instance = await this.#launch(slot, old.spec);
    if (this.generation(slot) !== generation) {
      // A stop that began during the launch did not see this process: it must not outlive the set it was meant for.
      await instance.stop(this.#config.drain.stopTimeoutMs);
      throw new SlotswapError('conflict', `slot ${slot} was stopped or started again while instance ${index + 1} restarted; the restart was dropped`);
    }
    instances[index] = instance;
    this.#recordPids();
    try {
      await waitHealthy(instance, { path: healthPath, intervalMs: Math.min(this.#config.health.intervalMs, FAST_HEALTH_INTERVAL_MS * 5), timeoutMs: this.#config.health.timeoutMs });
    } catch (err) {
      await instance.stop(this.#config.drain.stopTimeoutMs);
      throw err;
    }
    return instance;
  }

  /** Lets go of a slot's adopted instances without stopping them (a handover that failed leaves them to the old daemon). */
  forget(slot: SlotName): void {
    this.#nextGeneration(slot);
    this.#running.delete(slot);
    this.#recordPids();
  }

  /** The request a slot's instances are started (or adopted) with. */
  startRequest(slot: SlotName, release: ReleaseInfo, dir: string, command?: string[]): StartRequest {
    return { slot, release, dir, basePort: this.#config.slots[slot].port, ...(command ? { command } : {}) };
  }

  instances(slot: SlotName): readonly InstanceProcess[] {
    return this.#running.get(slot) ?? [];
  }

  logFile(slot: SlotName, index: number): string {
    return path.join(this.logsDir, `${slot}-${index + 1}.log`);
  }

  /** Instance i of a start request: the same spec whether it is started now or was started by an earlier daemon. */
  #spec(request: StartRequest, i: number): InstanceSpec {
    const { slot, release } = request;
    const port = request.basePort + i;
    return {
      label: `${slot}-${i + 1}`,
      command: request.command ?? release.start,
      cwd: request.dir,
      port,
      logFile: this.logFile(slot, i),
      stopTimeoutMs: this.#config.drain.stopTimeoutMs,
      env: {
        ...instanceEnvironment(),
        ...release.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        SLOTSWAP_SLOT: slot,
        SLOTSWAP_INSTANCE: String(i + 1),
        SLOTSWAP_VERSION: release.version,
      },
    };
  }

  /**
   * Takes over the slot's instances a previous daemon left running, all or none: each of the configured instances
   * must be recorded with its label and port and pass isAdoptable. Returns null (nothing taken) when they do not;
   * `why` says which one failed. Health is awaited separately, as after spawn.
   */
  async adopt(request: StartRequest, records: readonly PidRecord[]): Promise<{ instances: InstanceProcess[] } | { why: string }> {
    const { slot } = request;
    if (this.#running.has(slot)) return { why: `slot ${slot} already has running instances` };
    const specs = Array.from({ length: this.#config.instances }, (_, i) => this.#spec(request, i));
    const chosen: PidRecord[] = [];
    for (const spec of specs) {
      const record = records.find((r) => r.label === spec.label && (r.slot === undefined || r.slot === slot));
      if (!record) return { why: `instance ${spec.label} is not running (expected ${specs.length} instance(s) from "instances"; the slot runs ${records.filter((r) => r.slot === slot).length})` };
      if (record.port !== spec.port) return { why: `instance ${spec.label} runs on port ${record.port}, but slots.${slot}.port now gives it ${spec.port}` };
      // The release the state records, not one an interrupted operation started (a hotswap learns its version later).
      const version = this.#config.mode === 'hotswap' ? [] : [`SLOTSWAP_VERSION=${request.release.version}`];
      if (!(await isAdoptable(record, version))) return { why: `instance ${spec.label} (pid ${record.pid}) no longer runs, or is not the process recorded running ${request.release.version}` };
      chosen.push(record);
    }
    await mkdir(this.logsDir, { recursive: true });
    const instances = specs.map((spec, i) => this.#watch(slot, InstanceProcess.adopt(spec, chosen[i]!.pid, chosen[i]!.startTime)));
    this.#nextGeneration(slot);
    this.#running.set(slot, instances);
    await this.pidFile.record(this.#currentPids());
    return { instances };
  }

  /** Spawns the slot's instances (after checking their ports are free); health is awaited separately. */
  async spawn(request: StartRequest): Promise<InstanceProcess[]> {
    const { slot } = request;
    if (this.#running.has(slot)) throw new SlotswapError('conflict', `slot ${slot} already has running instances; stop it first`);
    await mkdir(this.logsDir, { recursive: true });
    const count = this.#config.instances;
    for (let i = 0; i < count; i++) {
      const port = request.basePort + i;
      if (!(await isPortFree(port))) {
        throw new SlotswapError('operation_failed', `port ${port} for slot ${slot} instance ${i + 1} is already in use by another process; stop that process or change slots.${slot}.port`);
      }
    }
    const instances: InstanceProcess[] = [];
    for (let i = 0; i < count; i++) instances.push(await this.#launch(slot, this.#spec(request, i)));
    // Recorded before anything can see them (status shows what #running holds): a daemon killed once a pid is
    // visible must find it at its next start, to reap it.
    await this.pidFile.record(this.#currentPids(instances));
    this.#nextGeneration(slot);
    this.#running.set(slot, instances);
    return instances;
  }

  /** Resolves once every instance of the slot is healthy; on failure stops them all and throws with their last log lines. */
  async awaitHealthy(slot: SlotName, healthPath: string, fast = false, onProgress?: HealthProgressListener): Promise<string[]> {
    const instances = this.instances(slot);
    // Under a hold every poll interval is time a request waits: poll tightly then.
    const intervalMs = fast ? Math.min(this.#config.health.intervalMs, FAST_HEALTH_INTERVAL_MS) : this.#config.health.intervalMs;
    const health = { path: healthPath, intervalMs, timeoutMs: this.#config.health.timeoutMs, fast };
    const progress: InstanceHealthProgress[] = instances.map((i) => ({ label: i.spec.label, attempts: 0, last: 'no attempt yet' }));
    const started = Date.now();
    const reporter = onProgress ? setInterval(() => onProgress(slot, progress, Date.now() - started), HEALTH_PROGRESS_INTERVAL_MS) : undefined;
    const results = await Promise.allSettled(instances.map((instance, i) => waitHealthy(instance, { ...health, progress: progress[i]! }))).finally(() => clearInterval(reporter));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      const logTail = await this.#logTailOf(instances);
      const stopProblem = await this.stop(slot, this.#config.drain.stopTimeoutMs).then(() => '', (err: unknown) => `; and then: ${(err as Error).message}`);
      const error = failed.reason instanceof SlotswapError ? failed.reason : new SlotswapError('operation_failed', String(failed.reason));
      throw new SlotswapError('operation_failed', `${error.message}${stopProblem}`, { logTail });
    }
    return results.map((r) => (r.status === 'fulfilled' ? r.value : ''));
  }

  /**
   * SIGTERM every instance's process group, SIGKILL after stopTimeoutMs; resolves when all groups are gone and
   * their ports are free (polled for up to stopTimeoutMs more); throws if another process still holds a port.
   */
  async stop(slot: SlotName, stopTimeoutMs: number): Promise<void> {
    const instances = this.#running.get(slot);
    if (!instances) return;
    this.#nextGeneration(slot);
    await Promise.all(instances.map((instance) => instance.stop(stopTimeoutMs)));
    this.#running.delete(slot);
    this.#recordPids();
    const held: number[] = [];
    await Promise.all(instances.map(async (i) => (await waitPortFree(i.spec.port, stopTimeoutMs)) || held.push(i.spec.port)));
    if (held.length > 0) {
      throw new SlotswapError(
        'operation_failed',
        `slot ${slot} stopped, but port(s) ${held.sort((x, y) => x - y).join(', ')} are still in use ${stopTimeoutMs} ms after its process groups exited: expected them free; a process outside the instances' groups holds them (one that left its group with setsid, or another program). Find it with "ss -ltnp 'sport = :${held[0]}'", stop it, then deploy again`,
        { ports: held },
      );
    }
  }

  /** Stops every slot; a port still held is reported, not thrown, so that shutdown goes on to persist the state. */
  async stopAll(stopTimeoutMs: number): Promise<void> {
    const results = await Promise.allSettled([...this.#running.keys()].map((slot) => this.stop(slot, stopTimeoutMs)));
    for (const r of results) if (r.status === 'rejected') console.error(`slotswap: ${(r.reason as Error).message}`);
  }

  logTail(slot: SlotName): Promise<string[]> {
    return this.#logTailOf(this.instances(slot));
  }

  async #logTailOf(instances: readonly InstanceProcess[]): Promise<string[]> {
    const tails = await Promise.all(instances.map(async (instance) => (await instance.log.tail()).map((line) => `[${instance.spec.label}] ${line}`)));
    return tails.flat();
  }
}
