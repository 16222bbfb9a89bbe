// Waits until no operation runs and no slot drains: the state a test needs before its next operation, instead of racing the drain.
import { expect } from 'vitest';
import { eventually } from './eventually.js';
import type { TestDaemon } from './test-daemon.js';

export async function settled(daemon: TestDaemon, timeoutMs = 20_000): Promise<void> {
  await eventually(async () => {
    const status = await daemon.status();
    expect(status.operation, 'an operation still runs').toBeNull();
    for (const name of ['a', 'b'] as const) {
      expect(status.slots[name].state, `slot ${name}`).not.toMatch(/^(draining|starting|stopping)$/);
      expect((status.slots[name] as unknown as { drain: unknown }).drain, `slot ${name} drain`).toBeNull();
    }
  }, timeoutMs);
}
