// One operation at a time (deploy, flip, rollback, hotswap): a second one is refused with 409 / exit 4.
import { SlotswapError } from '../errors.js';

export interface HeldLock {
  op: string;
  since: number;
  release(): void;
}

export class OperationLock {
  #held: HeldLock | null = null;

  get current(): { op: string; since: number } | null {
    return this.#held ? { op: this.#held.op, since: this.#held.since } : null;
  }

  acquire(op: string): HeldLock {
    const held = this.#held;
    if (held) {
      const seconds = ((Date.now() - held.since) / 1000).toFixed(1);
      throw new SlotswapError('conflict', `another operation is running (${held.op}, started ${seconds} s ago); wait for it to finish and try again`, { running: held.op });
    }
    const lock: HeldLock = {
      op,
      since: Date.now(),
      release: () => {
        if (this.#held === lock) this.#held = null;
      },
    };
    this.#held = lock;
    return lock;
  }
}
