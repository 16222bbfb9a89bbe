// Test-only: SLOTSWAP_TEST_CRASH_AT="<op>:<point>" makes the daemon kill itself with SIGKILL at that point of an
// operation, so the crash tests can stop it at every step boundary the way a power cut would.
const armed = process.env.SLOTSWAP_TEST_CRASH_AT ?? '';

/** Points are "before:<step>" at each step boundary and named places inside a step ("swap:between-renames"). */
export function crashPoint(op: string, point: string): void {
  if (armed === '' || armed !== `${op}:${point}`) return;
  console.error(`slotswap: SLOTSWAP_TEST_CRASH_AT=${armed}: killing the daemon here (test hook)`);
  process.kill(process.pid, 'SIGKILL');
}

