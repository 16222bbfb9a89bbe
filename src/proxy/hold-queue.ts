// Requests waiting to be forwarded: while on hold, or while their slot has no healthy instance.
// Bounded in count (hold.maxQueued) and age (hold.timeoutMs); replayed in arrival order.
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface HeldRequest {
  req: IncomingMessage;
  res: ServerResponse;
  arrivedAt: number;
  closed: boolean;
}

export interface HoldLimits {
  timeoutMs: number;
  maxQueued: number;
}

export interface HoldStats {
  on: boolean;
  reasons: string[];
  since: string | null;
  queued: number;
  holdsTotal: number;
  queuedTotal: number;
  replayedTotal: number;
  timedOutTotal: number;
  refusedTotal: number;
}

export class HoldQueue {
  readonly #limits: HoldLimits;
  readonly #reasons = new Set<string>();
  #items: HeldRequest[] = [];
  #head = 0;
  #since: number | null = null;
  #sweeper: NodeJS.Timeout | null = null;
  readonly #onTimeout: (item: HeldRequest) => void;
  holdsTotal = 0;
  queuedTotal = 0;
  replayedTotal = 0;
  timedOutTotal = 0;
  refusedTotal = 0;

  constructor(limits: HoldLimits, onTimeout: (item: HeldRequest) => void) {
    this.#limits = limits;
    this.#onTimeout = onTimeout;
  }

  /** True while any reason holds requests back (operator hold, hotswap, in-place deploy). */
  get held(): boolean {
    return this.#reasons.size > 0;
  }

  get length(): number {
    return this.#items.length - this.#head;
  }

  /** New requests must queue behind waiting ones, or arrival order would be lost. */
  get active(): boolean {
    return this.#reasons.size > 0 || this.#head < this.#items.length;
  }

  hold(reason: string): void {
    if (this.#reasons.size === 0) {
      this.#since = Date.now();
      this.holdsTotal++;
    }
    this.#reasons.add(reason);
  }

  /** Returns true when no reason is left, i.e. the queue may be replayed. */
  release(reason: string): boolean {
    this.#reasons.delete(reason);
    if (this.#reasons.size === 0) this.#since = null;
    return this.#reasons.size === 0;
  }

  heldForMs(): number {
    return this.#since === null ? 0 : Date.now() - this.#since;
  }

  /** Queues a request; false when the queue is full (the caller answers 503). */
  add(req: IncomingMessage, res: ServerResponse): boolean {
    if (this.length >= this.#limits.maxQueued) {
      this.refusedTotal++;
      return false;
    }
    const item: HeldRequest = { req, res, arrivedAt: Date.now(), closed: false };
    res.once('close', () => (item.closed = true));
    this.#items.push(item);
    this.queuedTotal++;
    this.#sweeper ??= setInterval(() => this.#sweep(), Math.max(10, Math.min(250, Math.floor(this.#limits.timeoutMs / 4))));
    return true;
  }

  /** The oldest waiting request that is still open, without removing it. */
  peek(): HeldRequest | null {
    while (this.#head < this.#items.length) {
      const item = this.#items[this.#head]!;
      if (!item.closed) return item;
      this.#shift();
    }
    return null;
  }

  shift(): HeldRequest | null {
    const item = this.peek();
    if (item) {
      this.#shift();
      this.replayedTotal++;
    }
    return item;
  }

  #shift(): void {
    this.#head++;
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
      if (this.#sweeper) clearInterval(this.#sweeper);
      this.#sweeper = null;
    } else if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }

  /** Answers every request older than hold.timeoutMs (oldest first): never lost silently, never forwarded late. */
  #sweep(): void {
    const limit = Date.now() - this.#limits.timeoutMs;
    for (let item = this.peek(); item && item.arrivedAt <= limit; item = this.peek()) {
      this.#shift();
      this.timedOutTotal++;
      this.#onTimeout(item);
    }
  }

  /** Answers everything still waiting (daemon shutdown). */
  flush(answer: (item: HeldRequest) => void): void {
    for (let item = this.peek(); item; item = this.peek()) {
      this.#shift();
      answer(item);
    }
  }

  stats(): HoldStats {
    return {
      on: this.held,
      reasons: [...this.#reasons],
      since: this.#since === null ? null : new Date(this.#since).toISOString(),
      queued: this.length,
      holdsTotal: this.holdsTotal,
      queuedTotal: this.queuedTotal,
      replayedTotal: this.replayedTotal,
      timedOutTotal: this.timedOutTotal,
      refusedTotal: this.refusedTotal,
    };
  }
}
