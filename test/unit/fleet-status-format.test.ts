import { describe, expect, it } from 'vitest';
import { formatFleetStatus } from '../../src/cli/status-command.js';

const node = (name: string, version: string) => ({ name, advertiseUrl: `http://10.0.0.${name.slice(-1)}:9100`, live: 'b', version, healthy: 2, total: 2, heartbeatAt: '2026-12-01T11:00:00.000Z' });

describe('slotswap status --fleet', () => {
  it('lists every node with its URL, live slot, version, healthy instances and heartbeat, marking this node', () => {
    const text = formatFleetStatus({ etcd: 'reachable', endpoints: ['http://e1:2379'], node: 'web-2', release: { version: '1.2.0', deployId: 'd1', coordinator: 'web-1', at: 'then' }, nodes: [node('web-1', '1.2.0'), node('web-2', '1.2.0')] });
    expect(text).toMatch(/^etcd: reachable \(http:\/\/e1:2379\)/);
    expect(text).toMatch(/fleet release: 1\.2\.0 \(deploy d1, by web-1 at then\)/);
    expect(text).toMatch(/web-1 +http:\/\/10\.0\.0\.1:9100 +b +1\.2\.0 +2\/2 +2026-12-01T11:00:00\.000Z/);
    expect(text).toMatch(/web-2 \(this\) +http:\/\/10\.0\.0\.2:9100/);
  });

  it('says etcd is unreachable and that the proxies keep serving', () => {
    const text = formatFleetStatus({ etcd: 'unreachable', endpoints: ['http://e1:2379'], node: 'web-1', release: null, nodes: [node('web-1', '1.0.0')] });
    expect(text).toMatch(/^etcd: UNREACHABLE \(http:\/\/e1:2379\): fleet operations are refused until it is back; every proxy keeps serving/);
    expect(text).toMatch(/fleet release: none yet/);
  });
});
