import { describe, expect, it } from 'vitest';
import { localCanaryRecord, nextStepInMs, withWeight, type FleetCanary } from '../../src/fleet/fleet-canary-record.js';

const canary: FleetCanary = {
  deployId: 'd1',
  version: '1.1.0',
  sha256: 'x'.repeat(64),
  minCompatibleVersion: '1.0.0',
  fromVersion: '1.0.0',
  weight: 10,
  slots: { node1: 'b', node2: 'b' },
  archiveFrom: ['http://127.0.0.1:1'],
  coordinator: 'node1',
  startedAt: '2026-12-01T10:00:00.000Z',
  weightSince: '2026-12-01T10:00:00.000Z',
  steps: [25, 50],
  stepMs: 60_000,
  autoPromote: true,
  before: null,
};

describe('the fleet canary record', () => {
  it("gives each node a local canary record without local steps or analysis: the fleet's steps are the coordinator's", () => {
    const record = localCanaryRecord(canary, 'b', 'a', '1.0.0');
    expect(record).toMatchObject({ deployId: 'd1', slot: 'b', fromSlot: 'a', version: '1.1.0', weight: 10, steps: [], stepMs: null, autoPromote: false, watchMs: null });
    expect(record.analysis.maxErrorRatePct).toBeNull();
    expect(record.analysis.maxP99Ms).toBeNull();
  });

  it("stops the steps when the operator sets the weight, and keeps the rest when a step advances it", () => {
    expect(withWeight(canary, 40, null, 'now')).toMatchObject({ weight: 40, steps: [], stepMs: null, autoPromote: false, weightSince: 'now' });
    expect(withWeight(canary, 25, [50], 'now')).toMatchObject({ weight: 25, steps: [50], stepMs: 60_000, autoPromote: true });
  });

  it('says when the next step is due, and that none is once the steps are done without a promotion', () => {
    const since = Date.parse(canary.weightSince);
    expect(nextStepInMs(canary, since + 20_000)).toBe(40_000);
    expect(nextStepInMs(canary, since + 90_000)).toBe(0);
    expect(nextStepInMs({ ...canary, steps: [], autoPromote: false }, since)).toBeNull();
    expect(nextStepInMs({ ...canary, steps: [], autoPromote: true }, since)).toBe(60_000);
    expect(nextStepInMs({ ...canary, stepMs: null }, since)).toBeNull();
  });
});
