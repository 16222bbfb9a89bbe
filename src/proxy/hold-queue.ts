// Requests waiting to be forwarded: while on hold, or while their target has no healthy instance.
// One FIFO per target (a slot, or "any live slot"), so a target that cannot take requests never blocks another;
// bounded in count (hold.maxQueued, all targets together) and age (hold.timeoutMs). Pure: no sockets, a clock you may pass.

export interface Waiting<T> {
  value: T;
  target: string;
  arrivedAt: number;
  /** Set by the owner when the client went away; such an entry is dropped, never forwarded. */
  closed: boolean;
}

export interface HoldLimits {
  timeoutMs: number;
  maxQueued: number;
}

export interface HoldHandlers<T> {
  /** Forwards (or answers) a waiting entry now and returns true, or returns false: its target cannot take it yet. */
  forward: (item: Waiting<T>) => boolean;
  /** Answers an entry that waited hold.timeoutMs. */
  timedOut: (item: Waiting<T>) => void;
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

/** Arrival-ordered entries of one target; the head index avoids O(n) shifts. */
class Fifo<T> {
  #items: Waiting<T>[] = [];
  #head = 0;

  get length(): number {
    return this.#items.length - this.#head;
  }

  /** In arrival order: an entry that arrived earlier elsewhere (handed on at a restart) goes before later ones. */
  push(item: Waiting<T>): void {
    let at = this.#items.length;
    while (at > this.#head && this.#items[at - 1]!.arrivedAt > item.arrivedAt) at--;
    if (at === this.#items.length) this.#items.push(item);
    else this.#items.splice(at, 0, item);
  }

  /** The oldest entry whose client is still there; closed ones are dropped on the way. */
  peek(): Waiting<T> | null {
    while (this.#head < this.#items.length) {
      const item = this.#items[this.#head]!;
      if (!item.closed) return item;
      this.shift();
    }
    return null;
  }

  /** Puts an entry taken off the head back there (O(1): the slot it left is still free). */
  unshift(item: Waiting<T>): void {
    if (this.#head > 0) this.#items[--this.#head] = item;
    else this.#items.unshift(item);
  }

  shift(): void {
    this.#head++;
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }
}

export class HoldQueue<T> {
  readonly #limits: HoldLimits;
  readonly #handlers: HoldHandlers<T>;
  readonly #now: () => number;
  readonly #reasons = new Set<string>();
  readonly #targets = new Map<string, Fifo<T>>();
  #size = 0;
  #since: number | null = null;
  #sweeper: NodeJS.Timeout | null = null;
  holdsTotal = 0;
  queuedTotal = 0;
  replayedTotal = 0;
  timedOutTotal = 0;
  refusedTotal = 0;

  constructor(limits: HoldLimits, handlers: HoldHandlers<T>, now: () => number = Date.now) {
    this.#limits = limits;
    this.#handlers = handlers;
    this.#now = now;
  }

  /** True while any reason holds requests back (operator hold, hotswap, in-place deploy). */
  get held(): boolean {
    return this.#reasons.size > 0;
  }

  /** Entries waiting, all targets together (closed ones not yet dropped included). */
  get length(): number {
    return this.#size;
  }

  /** A new request for `target` must queue behind the ones already waiting for it, or arrival order is lost. */
  mustWait(target: string): boolean {
    return this.#reasons.size > 0 || (this.#targets.get(target)?.length ?? 0) > 0;
  }

  hold(reason: string): void {
    if (this.#reasons.size === 0) {
      this.#since = this.#now();
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
    return this.#since === null ? 0 : this.#now() - this.#since;
  }

  /**
   * Queues a request for `target`; null when the queue is full (the caller answers 503). `arrivedAt`: when it first
   * arrived, for one handed on by the previous daemon at a restart (its hold.timeoutMs runs from then, not from now).
   */
  add(target: string, value: T, arrivedAt?: number): Waiting<T> | null {
    if (this.#size >= this.#limits.maxQueued) {
      this.refusedTotal++;
      return null;
    }
    const now = this.#now();
    const item: Waiting<T> = { value, target, arrivedAt: arrivedAt === undefined ? now : Math.min(arrivedAt, now), closed: false };
    let fifo = this.#targets.get(target);
    if (!fifo) this.#targets.set(target, (fifo = new Fifo<T>()));
    fifo.push(item);
    this.#size++;
    this.queuedTotal++;
    // The sweep answers time-outs and retries the replay, so a target that comes back without a publish is noticed.
    if (!this.#sweeper) {
      this.#sweeper = setInterval(() => this.sweep(), Math.max(10, Math.min(250, Math.floor(this.#limits.timeoutMs / 4))));
      this.#sweeper.unref();
    }
    return item;
  }

  /** Forwards waiting entries target by target, each in arrival order; a target that cannot take its head waits alone. */
  replay(): number {
    if (this.held) return 0;
    let forwarded = 0;
    for (const fifo of this.#targets.values()) {
      for (let item = this.#peek(fifo); item !== null; item = this.#peek(fifo)) {
        // Taken off before forwarding: forward may queue the same request again (it failed and parks).
        this.#take(fifo);
        if (!this.#handlers.forward(item)) {
          fifo.unshift(item);
          this.#size++;
          break;
        }
        this.replayedTotal++;
        forwarded++;
      }
    }
    this.#tidy();
    return forwarded;
  }

  /** Answers every entry older than hold.timeoutMs (never lost silently, never forwarded late), then replays the rest. */
  sweep(): void {
    const limit = this.#now() - this.#limits.timeoutMs;
    for (const fifo of this.#targets.values()) {
      for (let item = this.#peek(fifo); item && item.arrivedAt <= limit; item = this.#peek(fifo)) {
        this.#take(fifo);
        this.timedOutTotal++;
        this.#handlers.timedOut(item);
      }
    }
    this.replay();
  }

  /** Answers everything still waiting (daemon shutdown). */
  flush(answer: (item: Waiting<T>) => void): void {
    for (const fifo of this.#targets.values()) {
      for (let item = this.#peek(fifo); item; item = this.#peek(fifo)) {
        this.#take(fifo);
        answer(item);
      }
    }
    this.#tidy();
  }

  stats(): HoldStats {
    return {
      on: this.held,
      reasons: [...this.#reasons],
      since: this.#since === null ? null : new Date(this.#since).toISOString(),
      queued: this.#size,
      holdsTotal: this.holdsTotal,
      queuedTotal: this.queuedTotal,
      replayedTotal: this.replayedTotal,
      timedOutTotal: this.timedOutTotal,
      refusedTotal: this.refusedTotal,
    };
  }

  #peek(fifo: Fifo<T>): Waiting<T> | null {
    const before = fifo.length;
    const item = fifo.peek();
    this.#size -= before - fifo.length;
    return item;
  }

  #take(fifo: Fifo<T>): void {
    fifo.shift();
    this.#size--;
  }

  /** Drops empty targets and stops the sweeper once nothing waits. */
  #tidy(): void {
    for (const [target, fifo] of this.#targets) if (fifo.length === 0) this.#targets.delete(target);
    if (this.#targets.size === 0 && this.#sweeper) {
      clearInterval(this.#sweeper);
      this.#sweeper = null;
    }
  }
}
