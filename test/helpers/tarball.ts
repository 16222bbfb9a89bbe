// Hand-made .tgz files, including the unsafe ones no honest packer would produce.
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import tar from 'tar-stream';

export type TarEntry = Partial<tar.Header> & { name: string; content?: string };

export async function writeTarball(file: string, entries: TarEntry[]): Promise<string> {
  await mkdir(path.dirname(file), { recursive: true });
  const pack = tar.pack();
  const written = pipeline(pack, createGzip(), createWriteStream(file));
  for (const { content, ...header } of entries) pack.entry(header, content ?? '');
  pack.finalize();
  await written;
  return file;
}
