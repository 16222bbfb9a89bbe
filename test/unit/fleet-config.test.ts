import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load-config.js';

async function validate(raw: Record<string, unknown>) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'slotswap-fleet-config-'));
  await mkdir(path.join(dir, 'sites/sample-api'), { recursive: true });
  await writeFile(path.join(dir, 'sites/sample-api/release.json'), '{}');
  return validateConfig(raw, path.join(dir, 'orchestrator.config.json'));
}

async function problemsOf(raw: Record<string, unknown>): Promise<string> {
  return validate(raw).then(
    () => {
      throw new Error('expected the config to be rejected');
    },
    (err: Error) => err.message,
  );
}

const good = { etcd: { endpoints: ['http://127.0.0.1:2379'] }, node: 'web-1', advertiseUrl: 'http://10.0.0.1:9100' };

describe('the fleet config', () => {
  it('is absent without a "fleet" key, so a one-server config is unchanged', async () => {
    const config = await validate({});
    expect(config.fleet).toBeUndefined();
    expect('fleet' in config).toBe(false);
  });

  it('takes endpoints, node and advertiseUrl, and defaults the prefix to /slotswap/<app>/ and the lease to 5 s', async () => {
    const config = await validate({ app: 'shop', fleet: good });
    expect(config.fleet).toEqual({ etcd: { endpoints: ['http://127.0.0.1:2379'], prefix: '/slotswap/shop/' }, node: 'web-1', advertiseUrl: 'http://10.0.0.1:9100', leaseTtlSeconds: 5 });
  });

  it('names every wrong key with what it expected and what it got', async () => {
    const message = await problemsOf({ fleet: { etcd: { endpoints: [], prefix: 'no-slash' }, node: 'a b', advertiseUrl: 9100, extra: 1 } });
    expect(message).toMatch(/"fleet\.etcd\.endpoints": expected a non-empty array of etcd client URLs like "http:\/\/127\.0\.0\.1:2379", got \[\]/);
    expect(message).toMatch(/"fleet\.etcd\.prefix": expected a key prefix starting and ending with "\/".*, got "no-slash"/);
    expect(message).toMatch(/"fleet\.node": expected this node's name .*, got "a b"/);
    expect(message).toMatch(/"fleet\.advertiseUrl": expected the admin API URL .*, got 9100/);
    expect(message).toMatch(/"fleet\.extra": unknown key/);
  });

  it('rejects a fleet that is not an object', async () => {
    expect(await problemsOf({ fleet: true })).toMatch(/"fleet": expected an object with etcd, node and advertiseUrl, got true/);
  });
});
