// Start-up's half of the journal: an in-place swap that a crash interrupted before its new release was recorded is
// rolled back to the files that were live, checked by sha256 against the state.
import { copyFile, rename, rm } from 'node:fs/promises';
import { sha256File } from '../release/sha256-file.js';
import type { Journal } from '../state/state-types.js';
import type { Orchestrator } from './orchestrator.js';
import { exeFiles } from './hotswap.js';
import { slotDirs } from './deploy-in-place.js';
import { exists } from './file-exists.js';

async function undoExeSwap(journal: Extract<Journal, { kind: 'replace-exe' }>): Promise<string> {
  const { exeFile, keptAs } = journal;
  const { rejected } = exeFiles(exeFile);
  if (await exists(keptAs)) {
    if (await exists(exeFile)) await rename(exeFile, rejected);
    await rename(keptAs, exeFile);
    return `the interrupted hotswap was rolled back: ${exeFile} is the executable that was live again (the unchecked one kept as ${rejected})`;
  }
  return `the interrupted hotswap had not replaced ${exeFile} yet; nothing to roll back`;
}

async function undoDirSwap(journal: Extract<Journal, { kind: 'replace-dir' }>): Promise<string> {
  const { slotDir, keptAs, incoming } = journal;
  const { rejected } = slotDirs(slotDir);
  if (await exists(keptAs)) {
    await rm(rejected, { recursive: true, force: true });
    if (await exists(slotDir)) await rename(slotDir, rejected);
    await rename(keptAs, slotDir);
    await rm(incoming, { recursive: true, force: true });
    return `the interrupted in-place deploy was rolled back: ${slotDir} holds the release that was live again (the unchecked one kept as ${rejected})`;
  }
  await rm(incoming, { recursive: true, force: true });
  return `the interrupted in-place deploy had not replaced ${slotDir} yet; nothing to roll back`;
}

/** Undoes the journaled step; the state still names the release that was live, since the swap was never committed. */
export async function undoJournal(orch: Orchestrator, journal: Journal): Promise<string> {
  const note = journal.kind === 'replace-exe' ? await undoExeSwap(journal) : await undoDirSwap(journal);
  await orch.store.clearJournal();
  if (journal.kind === 'replace-exe') await checkExe(orch, journal.previousSha256);
  return note;
}

/**
 * Hotswap files at rest: the live exe is exeFile, the one before it .bak. A crash can leave the live one as .live
 * (after the commit, before it became .bak) or only a .bak (a crash between two renames of an older slotswap).
 */
export async function settleHotswapFiles(orch: Orchestrator): Promise<string[]> {
  const notes: string[] = [];
  const { exeFile } = orch.config.hotswap;
  const { keptAs, backup } = exeFiles(exeFile);
  if (await exists(keptAs)) {
    await rename(keptAs, backup);
    notes.push(`${keptAs} (the executable before the last hotswap) kept as ${backup}`);
  }
  const recorded = orch.store.data.live ? orch.store.data.slots[orch.store.data.live].release?.sha256 : undefined;
  if (!(await exists(exeFile)) && (await exists(backup)) && recorded && (await sha256File(backup)) === recorded) {
    await copyFile(backup, exeFile);
    notes.push(`${exeFile} was missing; restored from ${backup}, which is the executable the state records as live`);
  }
  return notes;
}

async function checkExe(orch: Orchestrator, expected: string): Promise<void> {
  const { exeFile } = orch.config.hotswap;
  if (!(await exists(exeFile))) return;
  const actual = await sha256File(exeFile);
  if (actual !== expected) console.error(`slotswap: WARNING ${exeFile} has sha256 ${actual}, but the state records ${expected} as live; starting it anyway`);
}
