// Follows docs/hotswap.md literally: its ```sh blocks and `$ ` commands, in order, in a copy of the repo's layout,
// on free ports (the only rewrite), and compares what each command prints with what the doc shows.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, cp, mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { CLI } from '../helpers/cli.js';
import { eventually } from '../helpers/eventually.js';
import { freePortRange } from '../helpers/ports.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const DOC = path.join(ROOT, 'docs/hotswap.md');
const EXAMPLE_CONFIG = 'docs/examples/hotswap.config.json';
// The walk-through ends here: the in-place section runs a blue/green project (covered by hotswap.test.ts).
const WALK_ENDS_AT = '## The hold';

type Step = { kind: 'script'; text: string } | { kind: 'command'; command: string; expected: string[] };

/** The doc's ```sh blocks (run as scripts) and `$ ` lines of plain ``` blocks (each with the lines shown after it). */
function stepsOf(doc: string): Step[] {
  const steps: Step[] = [];
  const walk = doc.slice(0, doc.indexOf(WALK_ENDS_AT));
  for (const [, lang, body] of walk.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)) {
    if (lang === 'sh') steps.push({ kind: 'script', text: body! });
    if (lang !== '') continue;
    for (const line of body!.split('\n')) {
      if (line.startsWith('$ ')) steps.push({ kind: 'command', command: line.slice(2), expected: [] });
      else if (steps.at(-1)?.kind === 'command' && line.trim() !== '') (steps.at(-1) as { expected: string[] }).expected.push(line);
    }
  }
  return steps;
}

/** What may differ between the doc's run and this one: folders, times, hashes, pids, sizes and padding; versions stay. */
function shape(line: string): string {
  const versions: string[] = [];
  return line
    .replace(/\s+#.*$/, '')
    .replace(/\S*\/state-hotswap\//g, '<root>/state-hotswap/')
    .replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, '<time>')
    .replace(/\b[0-9a-f]{16,}\b|\b[0-9a-f]{4,}…[0-9a-f]{4,}\b/g, '<hex>')
    .replace(/\d+\.\d+\.\d+/g, (v) => `<v${'x'.repeat(versions.push(v))}>`)
    .replace(/\d+(\.\d+)?/g, '<n>')
    .replace(/<v(x+)>/g, (_, x: string) => versions[x.length - 1]!)
    .replace(/\s+/g, ' ')
    .trim();
}

/** `npx slotswap` and `npm run start:hotswap` as the repo runs them, minus the rebuild (the suite built dist/). */
async function writeShims(bin: string, startScript: string): Promise<void> {
  await mkdir(bin, { recursive: true });
  const npx = `#!/bin/sh\n[ "$1" = slotswap ] || { echo "npx shim: only slotswap" >&2; exit 127; }\nshift\nexec "${process.execPath}" "${CLI}" "$@"\n`;
  const npm = `#!/bin/sh\n[ "$1 $2" = "run start:hotswap" ] || { echo "npm shim: only run start:hotswap" >&2; exit 127; }\nexec ${startScript.replace(/^node /, `"${process.execPath}" `).replace('dist/cli/main.js', `"${CLI}"`)}\n`;
  await writeFile(path.join(bin, 'npx'), npx);
  await writeFile(path.join(bin, 'npm'), npm);
  await chmod(path.join(bin, 'npx'), 0o755);
  await chmod(path.join(bin, 'npm'), 0o755);
}

function run(command: string, cwd: string, env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', command], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', () => (clearTimeout(timer), resolve(out)));
  });
}

/**
 * Every expected line, by shape, in the output in the doc's order (npm's own "> script" echo is not run). An
 * instance's log lines ("  [a-1] …") only need to be there: its stderr and its exit record race each other.
 */
function expectShown(command: string, output: string, expected: string[]): void {
  const shown = expected.filter((line) => !line.startsWith('> '));
  const actual = output.split('\n').map(shape);
  const failure = (line: string) => `"${command}": the doc shows\n  ${line}\nbut it printed:\n${actual.join('\n')}`;
  let at = 0;
  for (const line of shown.filter((l) => !l.startsWith('  ['))) {
    const found = actual.indexOf(shape(line), at);
    expect(found, failure(shape(line))).toBeGreaterThanOrEqual(0);
    at = found + 1;
  }
  for (const line of shown.filter((l) => l.startsWith('  ['))) expect(actual, failure(shape(line))).toContain(shape(line));
}

describe('docs/hotswap.md, followed literally', () => {
  it('npm run start:hotswap rebuilds, then starts the example config', async () => {
    const pkg = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts['start:hotswap']).toBe(`node --max-semi-space-size=4 dist/cli/main.js start --config ${EXAMPLE_CONFIG}`);
    expect(pkg.scripts['prestart:hotswap']).toMatch(/build/);
  });

  it('each command prints what the doc shows, on the example config with only its ports changed, and nothing lands in docs/', { timeout: 180_000 }, async () => {
    const doc = await readFile(DOC, 'utf8');
    const pkg = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    const root = await mkdtemp(path.join(os.tmpdir(), 'slotswap-hotswap-doc-'));
    await cp(path.join(ROOT, 'sites/hotswap-server'), path.join(root, 'sites/hotswap-server'), { recursive: true });
    await mkdir(path.join(root, 'docs/examples'), { recursive: true });

    const config = JSON.parse(await readFile(path.join(ROOT, EXAMPLE_CONFIG), 'utf8')) as Record<string, Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any
    const ports = new Map<number, number>([
      [config.proxy!.port, await freePortRange(1)],
      [config.admin!.port, await freePortRange(1)],
    ]);
    config.proxy!.port = ports.get(config.proxy!.port);
    config.admin!.port = ports.get(config.admin!.port);
    config.slots!.a.port = await freePortRange(config.instances as unknown as number);
    config.slots!.b.port = await freePortRange(1);
    await writeFile(path.join(root, EXAMPLE_CONFIG), JSON.stringify(config, null, 2));
    const withPorts = (text: string) => text.replace(/\b(\d{4,5})\b/g, (m) => String(ports.get(Number(m)) ?? m));

    const bin = path.join(root, '.test-bin');
    await writeShims(bin, pkg.scripts['start:hotswap']!);
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${bin}:${process.env.PATH}` };
    delete env.SLOTSWAP_CONFIG; // as in a new terminal: the doc exports it itself
    delete env.SLOTSWAP_ADMIN_TOKEN;

    let daemon: ChildProcess | null = null;
    let daemonOut = '';
    onTestFinished(() => {
      if (daemon && daemon.exitCode === null) daemon.kill('SIGKILL');
    });
    const steps = stepsOf(doc);
    expect(steps.map((s) => (s.kind === 'command' ? s.command : 'sh'))).toContain('npm run start:hotswap');

    for (const step of steps) {
      if (step.kind === 'script') {
        // `export NAME=value` lines carry over to later commands, as in the user's terminal.
        for (const [, name, value] of step.text.matchAll(/^export (\w+)=(\S+)$/gm)) env[name!] = value;
        const out = await run(`set -e\n${withPorts(step.text)}`, root, env);
        expect(out, `the doc's sh block failed:\n${step.text}`).not.toMatch(/error|No such file/i);
        continue;
      }
      const command = withPorts(step.command);
      const expected = step.expected.map(withPorts);
      if (command === 'npm run start:hotswap') {
        const child = spawn('bash', ['-c', `exec ${command}`], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
        daemon = child;
        child.stdout.on('data', (c: Buffer) => (daemonOut += c.toString()));
        child.stderr.on('data', (c: Buffer) => (daemonOut += c.toString()));
        await eventually(() => expect(daemonOut).toContain('slotswap: ready'), 30_000);
        expectShown(command, daemonOut, expected);
        continue;
      }
      expectShown(command, await run(command, root, env), expected);
    }

    // The daemon's console blocks (```text) were printed by this run's operations too.
    for (const [, body] of doc.slice(0, doc.indexOf(WALK_ENDS_AT)).matchAll(/^```text\n([\s\S]*?)^```$/gm)) {
      expectShown('the daemon console', daemonOut, body!.split('\n').filter((l) => l.trim() !== ''));
    }
    expect(daemon, 'the doc never starts the daemon').not.toBeNull();
    const exited = new Promise((resolve) => daemon!.once('exit', resolve));
    daemon!.kill('SIGINT');
    await exited;
    expect(await readdir(path.join(root, 'docs/examples'))).toEqual(['hotswap.config.json']);
    expect(await readdir(path.join(root, 'state-hotswap'))).toEqual(expect.arrayContaining(['slotswap.json', 'admin.token', 'deploy', 'logs']));
  });
});
