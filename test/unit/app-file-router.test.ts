import { describe, expect, it } from 'vitest';
import { route, type RouteSettings } from '../../src/proxy/router.js';
import { buildSlotView, type RoutingSnapshot } from '../../src/proxy/routing-snapshot.js';
import { parseAppFileTarget } from '../../src/proxy/app-file-target.js';

const settings: RouteSettings = { manifestPath: '/AppRun.json', slotPathPrefix: '/_slots', upgradeStatus: 426, manifestUrl: 'http://x/AppRun.json' };
const a = buildSlotView({ name: 'a', state: 'live', version: '1.1.0', minCompatibleVersion: '1.0.0', upstreams: [] }, '/_slots');
const b = buildSlotView({ name: 'b', state: 'empty', version: null, minCompatibleVersion: null, upstreams: [] }, '/_slots');
const snapshot: RoutingSnapshot = { live: a, slots: { a, b }, manifest: null };

describe('router: client files under /_app/', () => {
  it('decides app-file for GET and HEAD of a version file, with the file list and ?since=', () => {
    expect(route('GET', '/_app/1.2.0/bin/app.exe', undefined, snapshot, settings)).toEqual({ kind: 'app-file', version: '1.2.0', file: 'bin/app.exe', since: null });
    expect(route('HEAD', '/_app/1.2.0/files.json?since=1.1.0', undefined, snapshot, settings)).toEqual({ kind: 'app-file', version: '1.2.0', file: 'files.json', since: '1.1.0' });
  });

  it('refuses writes to client files with 405 instead of forwarding them to an instance', () => {
    expect(route('POST', '/_app/1.2.0/files.json', undefined, snapshot, settings)).toMatchObject({ kind: 'reject', status: 405 });
  });

  it('leaves paths that merely start like the prefix to the live slot', () => {
    expect(route('GET', '/_apps/x', undefined, snapshot, settings)).toBe(a.forward);
    expect(route('GET', '/_app', undefined, snapshot, settings)).toBe(a.forward);
  });

  it('answers 404 for every way of climbing out, encoded or not', () => {
    for (const target of ['/_app/1.1.0/../release.json', '/_app/1.1.0/%2e%2e/release.json', '/_app/1.1.0/%2E%2E%2Frelease.json', '/_app/../state/slotswap.json', '/_app/1.1.0/a%5c..%5cb', '/_app/1.1.0//x', '/_app/1.1.0/x%00', '/_app/1.1.0/%zz', '/_app/1.1.0/', '/_app/..%2f/x']) {
      expect(route('GET', target, undefined, snapshot, settings), target).toMatchObject({ kind: 'reject', status: 404 });
    }
  });

  it('decodes a percent-encoded file name once', () => {
    expect(parseAppFileTarget('1.1.0/my%20file.txt')).toEqual({ version: '1.1.0', file: 'my file.txt', since: null });
    expect(parseAppFileTarget('1.1.0/%252e%252e')).toEqual({ version: '1.1.0', file: '%2e%2e', since: null });
  });

  it('answers 400 for a ?since= that is no version', () => {
    expect(parseAppFileTarget('1.2.0/files.json?since=../x')).toMatchObject({ status: 400 });
  });
});
