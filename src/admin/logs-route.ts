// GET /api/logs/:slot?lines=n&follow=1 (slot a, b, or all): the instances' captured stdout/stderr, optionally followed as it grows.
import { open, stat } from 'node:fs/promises';
import type { Request, Response } from 'express';
import { SlotswapError } from '../errors.js';
import { SLOT_NAMES, isSlotName, type SlotName } from '../config/config-types.js';
import { wholeNumber } from './request-options.js';
import type { Orchestrator } from '../ops/orchestrator.js';
import { DEFAULT_LOG_FOLLOW_BUFFER_BYTES, LOG_FOLLOW_DROP_GRACE_MS, LOG_FOLLOW_READ_BYTES } from '../defaults.js';

const DEFAULT_LINES = 100;
const MAX_LINES = 10_000;
const FOLLOW_POLL_MS = 250;
/** Enough to hold the last MAX_LINES of ordinary log lines without reading a whole capped file. */
const TAIL_READ_BYTES = 2 * 1024 * 1024;

async function readBytes(file: string, from: number, to: number): Promise<Buffer> {
  if (to <= from) return Buffer.alloc(0);
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(to - from);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, from);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

const readRange = async (file: string, from: number, to: number) => (await readBytes(file, from, to)).toString('utf8');

/** The last line a follower gets when it is dropped: it says why and what to do. */
export function droppedLine(buffered: number): string {
  return `slotswap: follower too slow, dropped after ${buffered} bytes buffered; reconnect with slotswap logs --follow\n`;
}

async function sizeOf(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch {
    return 0;
  }
}

export function logsRoute(orch: Orchestrator) {
  return async (req: Request, res: Response): Promise<void> => {
    const slotParam = req.params.slot;
    if (!isSlotName(slotParam) && slotParam !== 'all') throw new SlotswapError('not_found', `unknown slot ${JSON.stringify(String(slotParam).slice(0, 40))}; expected a, b or all`);
    const slot = slotParam;
    const lines = wholeNumber(req.query.lines, 'lines', 0, MAX_LINES, DEFAULT_LINES);
    const follow = req.query.follow === '1' || req.query.follow === 'true';
    // Every instance file of the slot(s), existing or not: an instance that starts later writes to one of them.
    const slots: readonly SlotName[] = slot === 'all' ? SLOT_NAMES : [slot];
    const files = slots.flatMap((s) => Array.from({ length: orch.config.instances }, (_, i) => ({ label: `${s}-${i + 1}`, file: orch.supervisor.logFile(s, i) })));
    res.status(200).setHeader('content-type', 'text/plain; charset=utf-8');
    res.setHeader('cache-control', 'no-store');
    // A follow never ends on its own: no keep-alive, so a dropped follower's socket closes once its last line is out.
    if (follow) res.setHeader('connection', 'close');
    const offsets: number[] = [];
    for (const { label, file } of files) {
      const size = await sizeOf(file);
      offsets.push(size);
      const text = await readRange(file, Math.max(0, size - TAIL_READ_BYTES), size);
      const tail = text.split('\n').filter((l, i, all) => l !== '' || i < all.length - 1).slice(-lines);
      if (lines > 0) for (const line of tail) res.write(`[${label}] ${line}\n`);
    }
    if (!follow) {
      res.end();
      return;
    }
    res.flushHeaders();
    const client = `${req.socket?.remoteAddress ?? 'unknown'}:${req.socket?.remotePort ?? '?'}`;
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    // A client that does not read would make every write pile up in memory: past the bound it is dropped, with a last line.
    const tooSlow = () => {
      if (res.writableLength <= DEFAULT_LOG_FOLLOW_BUFFER_BYTES) return false;
      stopped = true;
      console.error(`slotswap: dropped the logs --follow client ${client} of slot ${slot}: ${res.writableLength} bytes unsent (over ${DEFAULT_LOG_FOLLOW_BUFFER_BYTES})`);
      res.end(droppedLine(res.writableLength));
      setTimeout(() => res.destroy(), LOG_FOLLOW_DROP_GRACE_MS).unref();
      return true;
    };
    const poll = async () => {
      for (let i = 0; i < files.length && !stopped; i++) {
        const { label, file } = files[i]!;
        const size = await sizeOf(file);
        // A rotated log starts again from 0.
        if (size < offsets[i]!) offsets[i] = 0;
        // Bounded chunks, each cut at its last newline, so the buffer is checked between chunks and no line is split.
        while (!stopped && offsets[i]! < size && !tooSlow()) {
          const chunk = await readBytes(file, offsets[i]!, Math.min(size, offsets[i]! + LOG_FOLLOW_READ_BYTES));
          if (chunk.length === 0) break;
          const end = chunk.lastIndexOf(10) + 1;
          const whole = end > 0 ? chunk.subarray(0, end) : chunk.length === LOG_FOLLOW_READ_BYTES ? chunk : null;
          if (!whole) break;
          offsets[i]! += whole.length;
          const lines = whole.toString('utf8').split('\n').filter((l) => l !== '');
          if (lines.length > 0 && !stopped) res.write(`${lines.map((l) => `[${label}] ${l}`).join('\n')}\n`);
        }
      }
    };
    // One poll at a time: the next is scheduled only once the last has written.
    const schedule = () => {
      if (stopped) return;
      timer = setTimeout(() => void poll().catch(() => {}).finally(schedule), FOLLOW_POLL_MS);
    };
    schedule();
    // The response's 'close' (not the request's, which comes once the request is read): the client went away, or was dropped.
    res.on('close', () => {
      stopped = true;
      clearTimeout(timer);
    });
  };
}
