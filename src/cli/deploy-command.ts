// slotswap deploy: pack the folder (or take the .tgz), upload it with its sha256, print one line per step.
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { pipeline } from 'node:stream/promises';
import { createReadStream, createWriteStream } from 'node:fs';
import { SlotswapError, isErrorCode, exitCodeForCode, EXIT_FAILED } from '../errors.js';
import { packRelease } from '../release/pack-release.js';
import { sha256File } from '../release/sha256-file.js';
import type { ResultEvent, SlotswapEvent } from '../ops/operation-events.js';
import { AdminClient } from './admin-client.js';
import type { GlobalOptions } from './global-options.js';
import { formatStep, printJson, printLogTail } from './output.js';

export interface DeployOptions extends GlobalOptions {
  release: string;
  version: string | undefined;
  minCompatible: string | undefined;
  allowDowngrade: boolean;
  inPlace: boolean;
  waitDrain: boolean;
  timeout: number | undefined;
}

/** A folder is packed into a temporary .tgz; a file is taken as the .tgz itself. */
async function archiveFor(release: string): Promise<{ file: string; cleanup: () => Promise<void> }> {
  let info;
  try {
    info = await stat(release);
  } catch {
    throw new SlotswapError('bad_request', `release ${JSON.stringify(release)} does not exist; pass a release folder or a .tgz`);
  }
  if (info.isFile()) return { file: release, cleanup: async () => {} };
  const dir = await mkdtemp(path.join(os.tmpdir(), 'slotswap-deploy-'));
  const file = path.join(dir, 'release.tgz');
  await pipeline(packRelease(release), createWriteStream(file));
  return { file, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

function stepLine(event: SlotswapEvent): string | null {
  if (event.type !== 'step' || event.phase === 'begin') return null;
  return formatStep(event.phase === 'end', event.step, event.ms, event.detail);
}

export async function deployCommand(options: DeployOptions): Promise<number> {
  const client = await AdminClient.fromOptions(options);
  const { file, cleanup } = await archiveFor(options.release);
  const signal = options.timeout ? AbortSignal.timeout(options.timeout * 1000) : undefined;
  const events: SlotswapEvent[] = [];
  let result: ResultEvent | null = null;
  try {
    const [sha256, { size }] = await Promise.all([sha256File(file), stat(file)]);
    const res = await client.request('POST', '/api/deploy', {
      query: { sha256, version: options.version, minCompatible: options.minCompatible, allowDowngrade: options.allowDowngrade, inPlace: options.inPlace, waitDrain: options.waitDrain },
      headers: { 'content-type': 'application/gzip', 'content-length': size },
      body: createReadStream(file),
      ...(signal ? { signal } : {}),
    });
    if ((res.statusCode ?? 500) !== 200) throw await client.failure(res);
    for await (const line of createInterface({ input: res, crlfDelay: Infinity })) {
      if (!line.trim()) continue;
      const event = JSON.parse(line) as SlotswapEvent;
      events.push(event);
      if (event.type === 'result') result = event;
      else if (!options.json) {
        const text = stepLine(event);
        if (text) console.log(text);
      }
    }
  } catch (err) {
    if ((err as Error).name === 'AbortError' || signal?.aborted) {
      throw new SlotswapError('operation_failed', `the deploy did not finish within ${options.timeout} s; check "slotswap status" (the daemon goes on with it)`);
    }
    throw err;
  } finally {
    await cleanup();
  }
  if (!result) throw new SlotswapError('operation_failed', 'the daemon closed the connection before the deploy finished; check "slotswap status" and "slotswap history"');
  if (options.json) printJson({ ...result, steps: events.filter((e) => e.type === 'step') });
  if (result.ok) {
    if (!options.json) {
      const previous = result.previous as { slot: string; version: string | null } | null;
      const after = previous ? (result.drainedWaited ? `; slot ${previous.slot} drained and stopped` : `; slot ${previous.slot} is draining`) : '';
      if (typeof result.heldMs === 'number') {
        console.log(`replaced slot ${String(result.slot)} in place with ${String(result.version)}; requests held ${result.heldMs} ms, ${String(result.queued)} queued`);
      } else console.log(`deployed ${String(result.version)} to slot ${String(result.slot)}, now live${after}`);
    }
    return 0;
  }
  if (!options.json) {
    console.error(`slotswap: deploy failed: ${result.message ?? result.error}`);
    printLogTail(result.logTail);
  }
  return isErrorCode(result.error) ? exitCodeForCode(result.error) : EXIT_FAILED;
}
