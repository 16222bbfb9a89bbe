// Runs every `$ slotswap …` example of docs/cli.md, in the order the document gives them, against a real daemon,
// and compares the shape of each output (numbers, times, pids, hashes and paths normalised) with the document's.
// SLOTSWAP_DOCS_PRINT=1 prints what each command really printed, to paste into the document.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildExe, startHotswapDaemon } from '../helpers/hotswap-project.js';
import { makeRelease, startDaemon, type TestDaemon } from '../helpers/test-daemon.js';
import { eventually } from '../helpers/eventually.js';

const CLI_MD = path.resolve(import.meta.dirname, '../../docs/cli.md');

interface Example {
  section: string;
  line: number;
  command: string;
  expected: string[];
}

/** Every ``` block (not ```json) with `$ slotswap` lines: each command with the lines below it. */
export function examplesOf(markdown: string): Example[] {
  const examples: Example[] = [];
  let section = '';
  let inBlock = false;
  let runnable = false;
  let current: Example | null = null;
  markdown.split('\n').forEach((text, index) => {
    if (!inBlock && text.startsWith('## ')) section = text.slice(3);
    if (text.startsWith('```')) {
      inBlock = !inBlock;
      runnable = inBlock && text.trim() === '```';
      current = null;
      return;
    }
    if (!inBlock || !runnable) return;
    if (text.startsWith('$ slotswap')) {
      current = { section, line: index + 1, command: text.slice(2), expected: [] };
      examples.push(current);
    } else if (current) current.expected.push(text);
  });
  return examples;
}

/** The shape of a line: times, hashes, paths, numbers and units replaced, runs of spaces (table padding) collapsed. */
export function shape(line: string): string {
  return line
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, 'T')
    .replace(/\b[0-9a-f]{16,}\b/g, 'H')
    .replace(/(?:\/[\w.@+-]+){2,}\/?/g, 'P')
    .replace(/\d+(\.\d+)*/g, 'N')
    .replace(/N (ms|s)\b/g, 'N u')
    .replace(/attempts?/g, 'attempts')
    .replace(/\s+/g, ' ')
    .trim();
}

/** A health progress line ("  ...  health  1.00 s  b-1: 9 attempts, last: …"): its wording depends on timing. */
const isProgress = (s: string) => s.startsWith('... ');

/** Compares shapes; a run of documented progress lines stands for a run of one or more printed ones. */
export function sameShape(expected: string[], actual: string[]): string | null {
  const want = expected.map(shape).filter((l, i, all) => l !== '' && !(isProgress(l) && isProgress(all[i - 1] ?? '')));
  const got = actual.map(shape).filter((l) => l !== '');
  let g = 0;
  for (let w = 0; w < want.length; w++) {
    if (isProgress(want[w]!)) {
      if (!isProgress(got[g] ?? '')) return `line ${w + 1}: expected progress lines, got ${JSON.stringify(got[g])}`;
      while (isProgress(got[g] ?? '')) g++;
      continue;
    }
    if (want[w] !== got[g]) return `line ${w + 1}: expected ${JSON.stringify(want[w])}, got ${JSON.stringify(got[g])}`;
    g++;
  }
  return g < got.length ? `extra lines from ${JSON.stringify(got[g])}` : null;
}

/** Splits a command line as a shell would for these examples: words, "quoted words", and a final `| tail -n`. */
function parseCommand(command: string): { args: string[]; tail: number | null } {
  const [main, pipe] = command.split(' | ');
  const args = [...main!.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!).slice(1);
  const tail = pipe ? Number(/^tail -(\d+)$/.exec(pipe.trim())?.[1]) : null;
  return { args, tail };
}

/** The folders the examples name, made from the sample API: `./build/<name>` in the document. */
async function fixtures(daemon: TestDaemon): Promise<Record<string, string>> {
  return {
    './build/sample-api': await makeRelease(daemon.dir, 'sample-api'),
    './build/broken': await makeRelease(daemon.dir, 'broken', { start: ['node', '-e', "console.error('boom: missing DB'); process.exit(3)"] }),
    './build/slow-start': await makeRelease(daemon.dir, 'slow-start', { start: ['node', '-e', "setTimeout(() => import('./server.mjs'), 2500)"] }),
  };
}

describe('docs/cli.md examples', () => {
  it('run in order against a real daemon and print what the document shows', { timeout: 240_000 }, async () => {
    const examples = examplesOf(await readFile(CLI_MD, 'utf8'));
    expect(examples.length).toBeGreaterThan(20);
    const daemon = await startDaemon({ drain: { graceMs: 5_000, idleMs: 100, timeoutMs: 300_000 } });
    const paths = await fixtures(daemon);
    let hotswap: TestDaemon | null = null;
    const problems: string[] = [];
    for (const example of examples) {
      let target = daemon;
      if (example.section.startsWith('`slotswap hotswap')) {
        if (!hotswap) {
          hotswap = await startHotswapDaemon();
          await buildExe(hotswap.dir, 'server-1.2.0', { version: '1.2.0' });
        }
        target = hotswap;
      }
      // An operation left running (deploy --timeout) finishes before the next example.
      await eventually(async () => expect((await target.status()).operation).toBeNull(), 30_000);
      const { args, tail } = parseCommand(example.command);
      const result = await target.cli(args.map((a) => paths[a] ?? a), 60_000);
      let lines = `${result.stdout}${result.stderr}`.replace(/\n$/, '').split('\n');
      if (tail !== null) lines = lines.slice(-tail);
      if (process.env.SLOTSWAP_DOCS_PRINT) console.log(`$ ${example.command}   (exit ${result.code})\n${lines.join('\n')}`);
      const problem = sameShape(example.expected, lines);
      if (problem) problems.push(`docs/cli.md:${example.line} $ ${example.command}: ${problem}\n  printed:\n${lines.map((l) => `    ${l}`).join('\n')}`);
    }
    expect(problems, problems.join('\n\n')).toEqual([]);
  });
});
