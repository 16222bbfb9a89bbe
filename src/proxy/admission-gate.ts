// How many requests the proxy works on at once (proxy.maxActiveRequests). Past the limit, a keep-alive connection whose
// answer just ended (or a new one) is not read until a place frees up: its next request waits in the kernel's socket
// buffer, not as objects in the daemon's heap. With 1,000 clients this keeps what the daemon holds bounded, so the
// garbage of each request dies young instead of being promoted, and the upstream pool stays near the limit.
// Places expire, so nothing can wedge the gate: a request counts for PROXY_LONG_REQUEST_MS at most (long polls and
// event streams never starve the others), and a connection let in keeps its place two epochs at most (an idle client).
// How many of the limit's places are given out follows the event loop each epoch (src/proxy/admission-places.ts).
import type { Socket } from 'node:net';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { PROXY_ADMISSION_EPOCH_MS, PROXY_LONG_REQUEST_MS, PROXY_MIN_ACTIVE_REQUESTS } from '../defaults.js';
import { nextPlaces } from './admission-places.js';

const kReservedAt = Symbol('slotswap.admissionReservedAt');
const kHooked = Symbol('slotswap.admissionHooked');
const kWaiting = Symbol('slotswap.admissionWaiting');
type GatedSocket = Socket & { [kReservedAt]?: number; [kHooked]?: boolean; [kWaiting]?: boolean };

/** Epochs a request counts in: once its epoch leaves the window it no longer holds a place. */
const REQUEST_EPOCHS = Math.max(1, Math.ceil(PROXY_LONG_REQUEST_MS / PROXY_ADMISSION_EPOCH_MS));
/** Epochs a connection let in again keeps its place without sending a request. */
const RESERVATION_EPOCHS = 2;
const NO_RESERVATION = -1;

/** Counts that fall out of a window of epochs: add now, take back later unless the epoch has left the window. */
class EpochCounts {
  readonly #ring: Uint32Array;
  total = 0;

  constructor(readonly epochs: number) {
    this.#ring = new Uint32Array(epochs + 1);
  }

  add(epoch: number): void {
    this.#ring[epoch % this.#ring.length]!++;
    this.total++;
  }

  /** Takes back one counted in `epoch`; false when that epoch has already left the window (it was dropped). */
  remove(epoch: number, now: number): boolean {
    if (now - epoch >= this.epochs) return false;
    this.#ring[epoch % this.#ring.length]!--;
    this.total--;
    return true;
  }

  /** The clock moved to `now`: the epoch leaving the window drops its count. */
  advance(now: number): void {
    const leaving = now - this.epochs;
    if (leaving < 0) return;
    const i = leaving % this.#ring.length;
    this.total -= this.#ring[i]!;
    this.#ring[i] = 0;
  }
}

export class AdmissionGate {
  /** proxy.maxActiveRequests: the most places there can be. */
  readonly limit: number;
  readonly #floor: number;
  #places: number;
  #utilization: EventLoopUtilization | null = null;
  #waitsAtEpoch = 0;
  #epoch = 0;
  readonly #requests = new EpochCounts(REQUEST_EPOCHS);
  readonly #reservations = new EpochCounts(RESERVATION_EPOCHS);
  /** Connections not read until a place frees up, in the order they had to wait. */
  #waiting: (GatedSocket | undefined)[] = [];
  #head = 0;
  #ticker: NodeJS.Timeout | null = null;
  #open = true;
  /** How many times a connection had to wait for a place (metrics). */
  waits = 0;

  constructor(limit: number) {
    this.limit = limit;
    this.#places = limit;
    this.#floor = Math.min(limit, PROXY_MIN_ACTIVE_REQUESTS);
  }

  /** The places given out now, between the floor and the limit. */
  get places(): number {
    return this.#places;
  }

  /** Places taken now: requests being worked on (long ones excluded) and connections just let in. */
  get admitted(): number {
    return this.#requests.total + this.#reservations.total;
  }

  get waitingConnections(): number {
    return this.#waiting.length - this.#head;
  }

  /**
   * A new connection, accepted paused (net.Server's pauseOnConnect: a pause after the accept would not hold, Node reads
   * once more on its own): it is read now if a place is free, else when one frees up (its first request waits).
   */
  acceptedPaused(socket: Socket): void {
    const s = socket as GatedSocket;
    this.#waitOrReserve(s);
    if (s[kWaiting] !== true) s.resume();
  }

  /** A request arrived on `socket`: it takes a place (the one its connection was let in with); returns its epoch. */
  arrived(socket: Socket): number {
    const s = socket as GatedSocket;
    const reservedAt = s[kReservedAt] ?? NO_RESERVATION;
    if (reservedAt !== NO_RESERVATION) {
      s[kReservedAt] = NO_RESERVATION;
      this.#reservations.remove(reservedAt, this.#epoch);
    }
    this.#requests.add(this.#epoch);
    this.#startClock();
    return this.#epoch;
  }

  /** A request's answer ended: its place is given back; its connection waits if others need the place first. */
  ended(socket: Socket | null, epoch: number): void {
    this.#requests.remove(epoch, this.#epoch);
    if (socket !== null) this.#waitOrReserve(socket as GatedSocket);
    this.#letIn();
  }

  /** Shutting down: every waiting connection is read again (its request is answered with Connection: close), none waits. */
  close(): void {
    this.#open = false;
    if (this.#ticker) clearInterval(this.#ticker);
    this.#ticker = null;
    for (let i = this.#head; i < this.#waiting.length; i++) this.#waiting[i]?.resume();
    this.#waiting = [];
    this.#head = 0;
  }

  /** A connection about to send (new, or its answer just ended) keeps a place for its request, or waits for one. */
  #waitOrReserve(s: GatedSocket): void {
    // A pipelining client can end two answers in a row: its connection waits once.
    if (!this.#open || s.destroyed || s[kWaiting] === true) return;
    this.#hook(s);
    if (this.admitted + this.waitingConnections < this.#places) {
      if (!this.#holdsReservation(s)) this.#reserve(s);
      return;
    }
    this.waits++;
    s[kWaiting] = true;
    s.pause();
    this.#waiting.push(s);
  }

  #holdsReservation(s: GatedSocket): boolean {
    const at = s[kReservedAt] ?? NO_RESERVATION;
    return at !== NO_RESERVATION && this.#epoch - at < RESERVATION_EPOCHS;
  }

  #reserve(s: GatedSocket): void {
    s[kReservedAt] = this.#epoch;
    this.#reservations.add(this.#epoch);
    this.#startClock();
  }

  /** The clock runs only while places are taken: an idle proxy has no timer. */
  #startClock(): void {
    if (this.#ticker !== null) return;
    this.#ticker = setInterval(() => this.#tick(), PROXY_ADMISSION_EPOCH_MS).unref();
    this.#utilization = performance.eventLoopUtilization();
    this.#waitsAtEpoch = this.waits;
  }

  #hook(s: GatedSocket): void {
    if (s[kHooked] !== true) {
      s[kHooked] = true;
      // A connection that closes after it was let in gives its place back at once.
      s.on('close', () => {
        const at = s[kReservedAt] ?? NO_RESERVATION;
        s[kReservedAt] = NO_RESERVATION;
        if (at !== NO_RESERVATION && this.#reservations.remove(at, this.#epoch)) this.#letIn();
      });
    }
  }

  /** Resumes waiting connections while there is room; each holds a place until its request arrives (or two epochs). */
  #letIn(): void {
    while (this.admitted < this.#places && this.#head < this.#waiting.length) {
      const s = this.#waiting[this.#head]!;
      // The queue's passed slots must not keep a closed connection (and the answers it still buffers) alive.
      this.#waiting[this.#head++] = undefined;
      if (this.#head > 1024 && this.#head * 2 > this.#waiting.length) {
        this.#waiting = this.#waiting.slice(this.#head);
        this.#head = 0;
      }
      s[kWaiting] = false;
      if (s.destroyed) continue;
      this.#reserve(s);
      s.resume();
    }
  }

  /** The clock moves: long requests and unused places stop counting, and waiting connections get in. */
  #tick(): void {
    this.#epoch++;
    const now = performance.eventLoopUtilization();
    const pressed = this.waits !== this.#waitsAtEpoch || this.waitingConnections > 0;
    this.#places = nextPlaces(this.#places, { utilization: performance.eventLoopUtilization(now, this.#utilization!).utilization, pressed }, this.#floor, this.limit);
    this.#utilization = now;
    this.#waitsAtEpoch = this.waits;
    this.#requests.advance(this.#epoch);
    this.#reservations.advance(this.#epoch);
    this.#letIn();
    if (this.admitted === 0 && this.waitingConnections === 0 && this.#ticker) {
      clearInterval(this.#ticker);
      this.#ticker = null;
    }
  }
}
