// What each changed config key needs against the running daemon's config.
import { describe, expect, it } from 'vitest';
import { compareConfigs } from '../../src/restart/config-changes.js';

const running = {
  file: '/p/orchestrator.config.json',
  proxy: { host: '127.0.0.1', port: 8080, publicUrl: 'http://127.0.0.1:8080', tls: { port: 8443 } },
  slots: { a: { dir: '/p/a', port: 4100 }, b: { dir: '/p/b', port: 4200 } },
  instances: 2,
  hold: { timeoutMs: 30_000, maxQueued: 100 },
  hotswap: { args: ['--serve'] },
};

function changed(edit: (c: typeof running) => void, kept = new Set<'a' | 'b'>(['a']), tlsOnBoth = false) {
  const file = structuredClone(running);
  edit(file);
  return compareConfigs({ running, file, kept, tlsOnBoth }).map(({ key, applies }) => `${key} ${applies}`);
}

describe('config changes against the running daemon', () => {
  it('finds nothing in the same config', () => {
    expect(changed(() => {})).toEqual([]);
  });

  it('needs a stop and start for a moved listener, the live slot\'s port or dir, and the instance count', () => {
    expect(changed((c) => ((c.proxy.port = 9090), (c.slots.a.port = 4300), (c.slots.a.dir = '/q/a'), (c.instances = 3)))).toEqual(['proxy.port stop-start', 'slots.a.dir stop-start', 'slots.a.port stop-start', 'instances stop-start']);
  });

  it('applies an idle slot\'s port to the next deploy, and hold limits on restart', () => {
    expect(changed((c) => ((c.slots.b.port = 4400), (c.hold.timeoutMs = 5_000), (c.hotswap.args = [])))).toEqual(['slots.b.port next-deploy', 'hold.timeoutMs restart', 'hotswap.args next-deploy']);
  });

  it('moves the TLS port only when TLS stays on; turning it on or off applies on restart', () => {
    expect(changed((c) => (c.proxy.tls.port = 9443), new Set(['a']), true)).toEqual(['proxy.tls.port stop-start']);
    expect(changed((c) => (c.proxy.tls.port = 9443), new Set(['a']), false)).toEqual(['proxy.tls.port restart']);
  });

  it('lists a key the file adds or drops', () => {
    expect(changed((c) => Object.assign(c, { fleet: { node: 'n1' } }))).toEqual(['fleet.node restart']);
  });
});
