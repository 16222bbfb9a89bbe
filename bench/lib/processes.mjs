// Child processes the bench starts (each ended by its own PID), and what /proc says about a process: CPU time, RSS, children.
import { spawn, execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

let clockTicks = 0;
/** Clock ticks per second of /proc's CPU times, asked once, when first needed (the demo and tests never need it). */
function clkTck() {
  if (clockTicks === 0) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** Every process started here, so that a crash of the bench still ends them (by PID) on exit. */
const started = new Set();

/**
 * Spawns a process with its output captured (last 64 KiB) and a promise of its exit.
 * @param {string} command
 * @param {string[]} args
 * @param {import('node:child_process').SpawnOptions} [options]
 */
export function startProcess(command, args, options = {}) {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  let output = '';
  const keep = (chunk) => {
    output += chunk.toString();
    if (output.length > 65_536) output = output.slice(-65_536);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  started.add(child);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => {
    started.delete(child);
    resolve(code ?? signal);
  }));
  child.once('error', (err) => keep(`spawn error: ${err.message}\n`));
  return {
    child,
    pid: child.pid,
    exited,
    output: () => output,
    /** SIGTERM, then SIGKILL after graceMs; resolves once the process is gone. */
    stop: async (graceMs = 10_000) => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** Last resort on an unexpected exit of the bench: SIGKILL whatever it started, by PID. */
export function killAllStarted() {
  for (const child of started) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}

function statFields(pid) {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name may contain spaces and parentheses: fields start after the last ')'.
  return text.slice(text.lastIndexOf(')') + 2).split(' ');
}

/** User + system CPU time of a process so far, in seconds (fields 14 and 15 of /proc/<pid>/stat). */
export function cpuSeconds(pid) {
  const f = statFields(pid);
  return (Number(f[11]) + Number(f[12])) / clkTck();
}

/** Running, not merely a zombie waiting for a PID 1 that does not reap (an orphan's parent here). */
export function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return statFields(pid)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Resident set size in MB (VmRSS of /proc/<pid>/status). */
export function rssMb(pid) {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : NaN;
}

/** RSS of a process and its direct children (nginx: master + worker), in MB. */
export function treeRssMb(pid) {
  let total = 0;
  for (const p of [pid, ...childPids(pid)]) {
    try {
      total += rssMb(p);
    } catch {
      // gone
    }
  }
  return total;
}

/** Direct children of a process (nginx workers under their master), found by scanning /proc. */
export function childPids(pid) {
  const out = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (Number(statFields(name)[1]) === pid) out.push(Number(name));
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

/** CPU seconds of a process and all its children (nginx: master + workers). */
export function treeCpuSeconds(pid) {
  let total = 0;
  for (const p of [pid, ...childPids(pid)]) {
    try {
      total += cpuSeconds(p);
    } catch {
      // gone
    }
  }
  return total;
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
