// One slotswap daemon (`slotswap start`) run by the demo: started, watched, asked over the admin API, stopped by its PID.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { CLI } from './projects.mjs';
import { childPids, isAlive } from '../bench/lib/processes.mjs';
import { childEnv } from './cli.mjs';
import { quote, red, say } from './output.mjs';

const STOP_DEADLINE_MS = 15_000;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export class Daemon {
  /** @param {import('./projects.mjs').Project} project */
  constructor(project) {
    this.project = project;
    /** Every instance pid seen in a status answer: all of them must be gone at the end. */
    this.instancePids = new Set();
    this.lines = [];
    this.echo = true;
    this.token = null;
    this.child = null;
    this.stopped = null;
  }

  get pid() {
    return this.child?.pid ?? null;
  }

  /** Spawns the daemon in its own process group (so a Ctrl-C reaches the demo, which stops it in order). */
  async start(timeoutMs = 20_000) {
    const child = spawn(process.execPath, [CLI, 'start', '--config', this.project.configFile], {
      cwd: this.project.dir,
      env: childEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
    let ready;
    const readyLine = new Promise((resolve) => (ready = resolve));
    const onLine = (line, isError) => {
      this.lines.push(line);
      if (this.lines.length > 300) this.lines.shift();
      // Once running, the daemon repeats every CLI step; show only its own trouble.
      if (this.echo || /unexpectedly|FAIL|shutdown failed/.test(line)) quote(isError ? red(line) : line, 'daemon: ');
      if (/slotswap: ready:|nothing is live/.test(line)) ready(line);
    };
    createInterface({ input: child.stdout }).on('line', (line) => onLine(line, false));
    createInterface({ input: child.stderr }).on('line', (line) => onLine(line, true));
    const first = await Promise.race([readyLine, this.exited.then((code) => `exited (${code})`), sleep(timeoutMs).then(() => 'timeout')]);
    if (!first.includes('ready:')) throw new Error(`the ${this.project.name} daemon did not get ready: ${first}`);
    this.echo = false;
    this.token = (await readFile(this.project.tokenFile, 'utf8')).trim();
    // Ready once the start-up operation is recorded as finished.
    const until = Date.now() + 10_000;
    while ((await this.status()).operation) {
      if (Date.now() > until) throw new Error(`the ${this.project.name} daemon still runs its start-up operation after 10 s`);
      await sleep(50);
    }
  }

  /** An admin API call with the token, parsed as JSON. */
  async api(method, path) {
    const res = await fetch(`${this.project.adminUrl}${path}`, { method, headers: { authorization: `Bearer ${this.token}` }, signal: AbortSignal.timeout(10_000) });
    const body = await res.json();
    if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status}: ${body.message ?? JSON.stringify(body)}`);
    return body;
  }

  /** GET /api/status, remembering the instance pids it names. */
  async status() {
    const status = await this.api('GET', '/api/status');
    for (const slot of Object.values(status.slots)) for (const instance of slot.instances) if (instance.pid) this.instancePids.add(instance.pid);
    return status;
  }

  /** Polls status until check(status) is true. */
  async waitFor(what, check, timeoutMs = 15_000) {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const status = await this.status();
      if (check(status)) return status;
      if (Date.now() > until) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
      await sleep(50);
    }
  }

  /**
   * SIGTERM by PID, SIGKILL after a deadline; then every instance it ran must be gone.
   * @returns {Promise<{ name: string, exit: unknown, leftovers: number[], killed: boolean }>}
   */
  stop() {
    this.stopped ??= (async () => {
      const name = this.project.name;
      if (!this.child) return { name, exit: null, leftovers: [], killed: false };
      const pid = this.child.pid;
      let killed = false;
      if (this.child.exitCode === null && this.child.signalCode === null) {
        for (const child of childPids(pid)) this.instancePids.add(child);
        process.kill(pid, 'SIGTERM');
        const timer = sleep(STOP_DEADLINE_MS).then(() => 'deadline');
        if ((await Promise.race([this.exited, timer])) === 'deadline' && isAlive(pid)) {
          say(red(`the ${name} daemon (pid ${pid}) did not stop within ${STOP_DEADLINE_MS / 1000} s of SIGTERM: SIGKILL`));
          process.kill(pid, 'SIGKILL');
          killed = true;
        }
      }
      const exit = await this.exited;
      // Instances are stopped by the daemon; give stragglers a moment, then kill them by PID.
      const until = Date.now() + 3_000;
      let leftovers = [...this.instancePids].filter(isAlive);
      while (leftovers.length > 0 && Date.now() < until) {
        await sleep(50);
        leftovers = leftovers.filter(isAlive);
      }
      for (const left of leftovers) process.kill(left, 'SIGKILL');
      return { name, exit, leftovers, killed };
    })();
    return this.stopped;
  }
}
