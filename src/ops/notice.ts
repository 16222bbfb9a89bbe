// The upgrade notice: shown in the manifest and in every upgrade-required answer; a no-op change keeps the ETag.
import { SlotswapError, describeValue } from '../errors.js';
import type { Notice } from '../state/state-types.js';
import type { Orchestrator } from './orchestrator.js';
import { writeManifestFile } from './manifest.js';
import { requirePrintable } from './printable-text.js';

const MAX_NOTICE_CHARS = 2_000;

export function parseNotice(body: unknown): Notice {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new SlotswapError('bad_request', `expected a JSON object {"message": "...", "mandatory": false}, got ${describeValue(body)}`);
  }
  const { message, mandatory, ...rest } = body as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) throw new SlotswapError('bad_request', `unknown key ${JSON.stringify(unknown[0])} in the notice; expected only message and mandatory`);
  if (typeof message !== 'string' || message.trim() === '' || message.length > MAX_NOTICE_CHARS) {
    throw new SlotswapError('bad_request', `"message": expected a non-empty string of at most ${MAX_NOTICE_CHARS} characters, got ${describeValue(message)}`);
  }
  requirePrintable(message, 'message');
  if (mandatory !== undefined && typeof mandatory !== 'boolean') throw new SlotswapError('bad_request', `"mandatory": expected true or false, got ${describeValue(mandatory)}`);
  return { message, mandatory: mandatory ?? false };
}

/** Sets (or clears, with null) the notice; returns whether anything changed. A fleet passes its own `updatedAt`. */
export async function setNotice(orch: Orchestrator, notice: Notice | null, updatedAt?: string): Promise<boolean> {
  const data = orch.store.data;
  if (JSON.stringify(data.notice) === JSON.stringify(notice)) return false;
  const manifest = data.manifest ? { ...data.manifest, notice, updatedAt: updatedAt ?? new Date().toISOString() } : null;
  await orch.store.setNotice(notice, manifest);
  const snapshot = orch.publish(notice ? 'notice set' : 'notice cleared');
  if (snapshot.manifest) await writeManifestFile(orch.config, snapshot.manifest.body);
  return true;
}
