import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { StateStore } from '../../src/state/state-store.js';
import { newHistoryEntry } from '../../src/state/state-types.js';

async function openStore(): Promise<{ store: StateStore; file: string; blockWrites: () => Promise<void>; unblock: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'slotswap-store-'));
  const file = path.join(dir, 'slotswap.json');
  const store = await StateStore.open(file);
  await store.save();
  // A folder where the store writes its temp file refuses every write, even as root.
  const blocker = path.join(dir, '.slotswap.json.tmp');
  return { store, file, blockWrites: () => mkdir(blocker).then(() => undefined), unblock: () => rm(blocker, { recursive: true }) };
}

const onDisk = async (file: string) => JSON.parse(await readFile(file, 'utf8')) as { slots: { a: { state: string } }; history: { id: string; outcome: string }[]; pending: unknown };

describe('the state store', () => {
  it('takes a change back when its write fails, so memory and file agree', async () => {
    const { store, file, blockWrites } = await openStore();
    await blockWrites();
    await expect(store.setNotice({ message: 'hi', mandatory: false }, null)).rejects.toMatchObject({ code: 'state_write_failed' });
    expect(store.data.notice).toBeNull();
    expect((await onDisk(file)).slots.a.state).toBe('empty');
  });

  it('keeps an operation ended in memory when that write fails, and the next write records it (no entry stays running)', async () => {
    const { store, file, blockWrites, unblock } = await openStore();
    const entry = newHistoryEntry('deploy', 'unit', 'a', null);
    await store.beginOperation(entry);
    expect((await onDisk(file)).history.at(-1)).toMatchObject({ id: entry.id, outcome: 'running' });
    await blockWrites();
    await expect(store.endOperation(entry, { outcome: 'failed', error: 'disk full' })).rejects.toMatchObject({ code: 'state_write_failed' });
    expect(store.data.history.at(-1)).toMatchObject({ id: entry.id, outcome: 'failed' });
    expect(store.data.pending).toBeNull();
    await unblock();
    await store.save();
    const saved = await onDisk(file);
    expect(saved.history.at(-1)).toMatchObject({ id: entry.id, outcome: 'failed' });
    expect(saved.pending).toBeNull();
  });

  it('marks entries a dead daemon left running as interrupted, and clears the pending operation', async () => {
    const { store, file } = await openStore();
    await store.beginOperation(newHistoryEntry('hotswap', 'unit', 'a', '1.0.0'));
    expect(await store.interruptRunning('the daemon stopped')).toBe(1);
    const saved = await onDisk(file);
    expect(saved.history.map((h) => h.outcome)).toEqual(['interrupted']);
    expect(saved.pending).toBeNull();
  });
});
