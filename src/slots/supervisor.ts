// Runs each slot's instances: checks ports, spawns N processes, waits until all are healthy, stops them.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { SlotswapError } from '../errors.js';
import type { Config, SlotName } from '../config/config-types.js';
import type { ReleaseInfo } from '../state/state-types.js';
import { InstanceProcess } from './instance-process.js';
import { waitHealthy } from './health-check.js';
import { isPortFree } from './port-check.js';
import { FAST_HEALTH_INTERVAL_MS } from '../defaults.js';

export interface StartRequest {
  slot: SlotName;
  release: ReleaseInfo;
  /** Folder the release runs from (working directory of every instance). */
  dir: string;
  /** Command line, when it is not the release's own start (hotswap runs an executable). */
  command?: string[];
  basePort: number;
}

export class Supervisor {
  readonly #config: Config;
  readonly logsDir: string;
  readonly #running = new Map<SlotName, InstanceProcess[]>();
  /** Called when an instance exits without being asked to stop. */
  onUnexpectedExit: (slot: SlotName, instance: InstanceProcess) => void = () => {};

  constructor(config: Config) {
    this.#config = config;
    this.logsDir = path.join(path.dirname(config.stateFile), 'logs');
  }

  instances(slot: SlotName): readonly InstanceProcess[] {
    return this.#running.get(slot) ?? [];
  }

  logFile(slot: SlotName, index: number): string {
    return path.join(this.logsDir, `${slot}-${index + 1}.log`);
  }

  /** Spawns the slot's instances (after checking their ports are free); health is awaited separately. */
  async spawn(request: StartRequest): Promise<InstanceProcess[]> {
    const { slot, release } = request;
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
    for (let i = 0; i < count; i++) {
      const port = request.basePort + i;
      const instance = await InstanceProcess.start({
        label: `${slot}-${i + 1}`,
        command: request.command ?? release.start,
        cwd: request.dir,
        port,
        logFile: this.logFile(slot, i),
        env: {
          ...process.env,
          ...release.env,
          PORT: String(port),
          HOST: '127.0.0.1',
          SLOTSWAP_SLOT: slot,
          SLOTSWAP_INSTANCE: String(i + 1),
          SLOTSWAP_VERSION: release.version,
        },
      });
      instances.push(instance);
      void instance.exited.then(() => {
        if (!instance.stopping && this.#running.get(slot)?.includes(instance)) this.onUnexpectedExit(slot, instance);
      });
    }
    this.#running.set(slot, instances);
    return instances;
  }

  /** Resolves once every instance of the slot is healthy; on failure stops them all and throws with their last log lines. */
  async awaitHealthy(slot: SlotName, healthPath: string, fast = false): Promise<string[]> {
    const instances = this.instances(slot);
    // Under a hold every poll interval is time a request waits: poll tightly then.
    const intervalMs = fast ? Math.min(this.#config.health.intervalMs, FAST_HEALTH_INTERVAL_MS) : this.#config.health.intervalMs;
    const health = { path: healthPath, intervalMs, timeoutMs: this.#config.health.timeoutMs, fast };
    const results = await Promise.allSettled(instances.map((instance) => waitHealthy(instance, health)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      const logTail = instances.flatMap((instance) => instance.log.tail().map((line) => `[${instance.spec.label}] ${line}`));
      await this.stop(slot, this.#config.drain.stopTimeoutMs);
      const error = failed.reason instanceof SlotswapError ? failed.reason : new SlotswapError('operation_failed', String(failed.reason));
      throw new SlotswapError('operation_failed', error.message, { logTail });
    }
    return results.map((r) => (r.status === 'fulfilled' ? r.value : ''));
  }

  /** SIGTERM every instance of the slot, SIGKILL after stopTimeoutMs; resolves when all are gone. */
  async stop(slot: SlotName, stopTimeoutMs: number): Promise<void> {
    const instances = this.#running.get(slot);
    if (!instances) return;
    await Promise.all(instances.map((instance) => instance.stop(stopTimeoutMs)));
    this.#running.delete(slot);
  }

  async stopAll(stopTimeoutMs: number): Promise<void> {
    await Promise.all([...this.#running.keys()].map((slot) => this.stop(slot, stopTimeoutMs)));
  }

  logTail(slot: SlotName): string[] {
    return this.instances(slot).flatMap((instance) => instance.log.tail().map((line) => `[${instance.spec.label}] ${line}`));
  }
}
