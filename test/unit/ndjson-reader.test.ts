// The admin page's NDJSON reader (POST /api/deploy's answer): objects come out whole however the bytes are cut.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

// A browser module without type declarations: imported by URL, typed here.
const MODULE = pathToFileURL(path.resolve(import.meta.dirname, '../../src/admin/page/ndjson-reader.js')).href;
const { ndjsonLines } = (await import(MODULE)) as { ndjsonLines: (body: ReadableStream<Uint8Array>) => AsyncGenerator<unknown> };

function streamOf(chunks: string[]): ReadableStream<Uint8Array> {
  const bytes = chunks.map((c) => new TextEncoder().encode(c));
  return new ReadableStream({
    pull(controller) {
      const next = bytes.shift();
      if (next) controller.enqueue(next);
      else controller.close();
    },
  });
}

async function readAll(chunks: string[]): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const line of ndjsonLines(streamOf(chunks))) out.push(line);
  return out;
}

describe('the NDJSON reader', () => {
  it('yields one object per line, even when a line arrives in pieces', async () => {
    expect(await readAll(['{"type":"st', 'ep","step":"place"}\n{"type":"res', 'ult","ok":true}\n'])).toEqual([
      { type: 'step', step: 'place' },
      { type: 'result', ok: true },
    ]);
  });

  it('yields a last line without its newline, and skips empty lines', async () => {
    expect(await readAll(['{"a":1}\n\n\r\n', '{"b":2}'])).toEqual([{ a: 1 }, { b: 2 }]);
  });

  it('cuts a multi-byte character split between chunks back together', async () => {
    const text = '{"detail":"1.0.0 → 1.1.0"}\n';
    const bytes = new TextEncoder().encode(text);
    const cut = bytes.indexOf(0x86); // inside the three bytes of "→"
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes.slice(0, cut));
        controller.enqueue(bytes.slice(cut));
        controller.close();
      },
    });
    const out: unknown[] = [];
    for await (const line of ndjsonLines(stream)) out.push(line);
    expect(out).toEqual([{ detail: '1.0.0 → 1.1.0' }]);
  });

  it('turns a line that is not JSON into { raw } instead of stopping', async () => {
    expect(await readAll(['not json\n{"ok":false}\n'])).toEqual([{ raw: 'not json' }, { ok: false }]);
  });
});
