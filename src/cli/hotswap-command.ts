// slotswap hotswap upload <file> | update | <file>: the Web Connection "Upload Exe" and "Update Exe".
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { SlotswapError } from '../errors.js';
import type { HotswapResult, UploadResult } from '../ops/hotswap.js';
import { sha256File } from '../release/sha256-file.js';
import { AdminClient } from './admin-client.js';
import type { GlobalOptions } from './global-options.js';
import { printJson } from './output.js';
import { verb } from './verb.js';

export interface HotswapOptions extends GlobalOptions {
  target: string;
  file: string | undefined;
}

async function upload(client: AdminClient, file: string): Promise<UploadResult> {
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch {
    throw new SlotswapError('bad_request', `file ${JSON.stringify(file)} does not exist; pass the new server executable`);
  }
  const sha256 = await sha256File(file);
  const res = await client.request('POST', '/api/hotswap/upload', {
    query: { sha256 },
    headers: { 'content-type': 'application/octet-stream', 'content-length': size },
    body: createReadStream(file),
  });
  if (res.statusCode !== 200) throw await client.failure(res);
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as UploadResult;
}

function printUpdate(result: HotswapResult): void {
  console.log(result.message);
  console.log(`  file:     ${result.file}`);
  console.log(`  mtime:    ${result.mtime}`);
  console.log(`  size:     ${result.size} bytes`);
  console.log(`  sha256:   ${result.sha256}`);
  console.log(`  version:  ${result.version}`);
  console.log(`  held:     ${result.heldMs} ms (new server start-up ${result.startupMs} ms), ${result.queued} request(s) queued`);
}

export async function hotswapCommand(options: HotswapOptions): Promise<number> {
  const client = await AdminClient.fromOptions(options);
  const action = options.target === 'upload' || options.target === 'update' ? options.target : 'both';
  const file = action === 'both' ? options.target : options.file;
  const answer: { upload?: UploadResult; update?: HotswapResult } = {};
  if (action !== 'update') {
    if (!file) throw new SlotswapError('bad_request', 'hotswap upload needs the file: slotswap hotswap upload <file>');
    answer.upload = await upload(client, file);
    if (!options.json) console.log(`${answer.upload.message}: ${answer.upload.bytes} bytes, sha256 ${answer.upload.sha256}`);
  }
  if (action !== 'upload') {
    answer.update = await client.json<HotswapResult>('POST', '/api/hotswap/update');
    if (!options.json) printUpdate(answer.update);
  }
  if (options.json) printJson(answer);
  return 0;
}

export const hotswapVerb = verb({
  command: 'hotswap <target> [file]',
  describe: 'upload a new server executable (hotswap upload <file>), swap it in (hotswap update), or both (hotswap <file>)',
  builder: (y) =>
    y
      .positional('target', { type: 'string', demandOption: true, describe: 'upload, update, or the file to upload and swap in' })
      .positional('file', { type: 'string', describe: 'the executable to upload (for upload)' }),
  run: hotswapCommand,
});
