// GET /api/logs/:slot?lines=n&follow=1: the instances' captured stdout/stderr, optionally followed as it grows.
import { open, stat } from 'node:fs/promises';
import type { Request, Response } from 'express';
import { SlotswapError } from '../errors.js';
import { isSlotName, type SlotName } from '../config/config-types.js';
import { wholeNumber } from './request-options.js';
import type { Orchestrator } from '../ops/orchestrator.js';

const DEFAULT_LINES = 100;
const MAX_LINES = 10_000;
const FOLLOW_POLL_MS = 250;
/** Enough to hold the last MAX_LINES of ordinary log lines without reading a whole capped file. */
const TAIL_READ_BYTES = 2 * 1024 * 1024;

async function readRange(file: string, from: number, to: number): Promise<string> {
  if (to <= from) return '';
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(to - from);
    await handle.read(buffer, 0, buffer.length, from);
    return buffer.toString('utf8');
  } finally {
    await handle.close();
  }
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
    if (!isSlotName(slotParam)) throw new SlotswapError('not_found', `unknown slot ${JSON.stringify(String(slotParam).slice(0, 40))}; slots are a and b`);
    const slot: SlotName = slotParam;
    const lines = wholeNumber(req.query.lines, 'lines', 0, MAX_LINES, DEFAULT_LINES);
    const follow = req.query.follow === '1' || req.query.follow === 'true';
    const files = Array.from({ length: orch.config.instances }, (_, i) => ({ label: `${slot}-${i + 1}`, file: orch.supervisor.logFile(slot, i) }));
    res.status(200).setHeader('content-type', 'text/plain; charset=utf-8');
    res.setHeader('cache-control', 'no-store');
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
    const timer = setInterval(() => {
      void (async () => {
        for (let i = 0; i < files.length; i++) {
          const { label, file } = files[i]!;
          const size = await sizeOf(file);
          // A rotated log starts again from 0.
          const from = size < offsets[i]! ? 0 : offsets[i]!;
          if (size === from) continue;
          const text = await readRange(file, from, size);
          offsets[i] = size;
          for (const line of text.split('\n')) if (line !== '') res.write(`[${label}] ${line}\n`);
        }
      })().catch(() => {});
    }, FOLLOW_POLL_MS);
    req.on('close', () => clearInterval(timer));
  };
}
