// Runs the real CLI (node dist/cli/main.js <command> --config <file>) and shows its output, indented, as it comes.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { CLI } from './projects.mjs';
import { quote, red } from './output.mjs';
import { isAborting, track } from './cleanup.mjs';

/** The environment for children: without the caller's SLOTSWAP_* settings, which would point elsewhere. */
export function childEnv() {
  const env = { ...process.env };
  for (const key of ['SLOTSWAP_CONFIG', 'SLOTSWAP_ADMIN_URL', 'SLOTSWAP_TOKEN', 'SLOTSWAP_ADMIN_TOKEN']) delete env[key];
  return env;
}

/**
 * `slotswap <args> --config <project config>`.
 * @param {import('./projects.mjs').Project} project
 * @param {string[]} args
 * @param {{ quiet?: boolean, timeoutMs?: number, onLine?: (line: string) => void }} [options] quiet: capture only, print nothing;
 *   onLine: called with each stdout line as it comes
 * @returns {Promise<{ code: number | null, stdout: string, stderr: string, command: string }>}
 */
export function slotswap(project, args, options = {}) {
  const command = `slotswap ${args.map((a) => (/[\s"]/.test(a) ? JSON.stringify(a) : a)).join(' ')}`;
  if (!options.quiet) quote(`$ ${command}`);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args, '--config', project.configFile], { cwd: project.dir, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    const untrack = track(`slotswap ${args[0]}`, child);
    let stdout = '';
    let stderr = '';
    createInterface({ input: child.stdout }).on('line', (line) => {
      stdout += `${line}\n`;
      if (!options.quiet) quote(line);
      options.onLine?.(line);
    });
    createInterface({ input: child.stderr }).on('line', (line) => {
      stderr += `${line}\n`;
      if (!options.quiet) quote(red(line));
    });
    const timeoutMs = options.timeoutMs ?? 30_000;
    const timer = setTimeout(() => {
      stderr += `(no answer within ${timeoutMs / 1000} s: killed)\n`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (err) => (stderr += `${err.message}\n`));
    child.on('close', (code) => {
      clearTimeout(timer);
      untrack();
      if (code !== 0 && !options.quiet && !isAborting()) quote(red(`(exit ${code})`));
      resolve({ code, stdout, stderr, command });
    });
  });
}

/** Like slotswap(), but a non-zero exit is an error (the story cannot go on). */
export async function mustRun(project, args, options = {}) {
  const result = await slotswap(project, args, options);
  if (result.code !== 0) {
    const why = result.stderr.trim().split('\n').at(-1) || `exit code ${result.code}`;
    throw new Error(`${result.command} failed: ${why}`);
  }
  return result;
}

/** `slotswap <args> --json`, parsed. */
export async function slotswapJson(project, args, options = { quiet: true }) {
  const result = await mustRun(project, [...args, '--json'], options);
  return JSON.parse(result.stdout);
}
