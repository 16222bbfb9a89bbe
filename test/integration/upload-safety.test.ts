import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it, onTestFinished } from 'vitest';
import { makeProject, makeRelease, startDaemon, startDaemonIn, type TestDaemon } from '../helpers/test-daemon.js';
import { request } from '../helpers/http-client.js';
import { eventually } from '../helpers/eventually.js';
import { packRelease } from '../../src/release/pack-release.js';
import { sha256File } from '../../src/release/sha256-file.js';

const LOCK_BUSY = /another operation is running/;

async function packed(d: TestDaemon, name: string, release: Record<string, unknown>, files: Record<string, string> = {}): Promise<{ file: string; body: Buffer; sha256: string }> {
  const dir = await makeRelease(d.dir, name, release, files);
  const file = path.join(d.dir, `${name}.tgz`);
  await pipeline(packRelease(dir), createWriteStream(file));
  return { file, body: await readFile(file), sha256: await sha256File(file) };
}

function deployRequest(d: TestDaemon, query: string, body: Buffer, headers: Record<string, string> = {}) {
  return request(`${d.adminUrl}/api/deploy${query}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${d.token}`, 'content-type': 'application/gzip', 'content-length': String(body.length), ...headers },
    body,
  });
}

/** A deploy whose client sends its headers and 2 of 100000 bytes, then nothing; resolves with what the socket got back. */
function stalledDeploy(d: TestDaemon): { answer: Promise<string>; socket: net.Socket } {
  const socket = net.connect(Number(new URL(d.adminUrl).port), '127.0.0.1');
  onTestFinished(() => void socket.destroy());
  const answer = new Promise<string>((resolve) => {
    let text = '';
    socket.on('data', (c: Buffer) => (text += c.toString()));
    socket.on('close', () => resolve(text));
    socket.on('error', () => {});
  });
  socket.write(`POST /api/deploy HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${d.token}\r\nContent-Type: application/gzip\r\nContent-Length: 100000\r\n\r\n\x1f\x8b`);
  return { answer, socket };
}

const uploadsOf = (d: TestDaemon) => readdir(path.join(d.dir, 'state/uploads'));

describe('a stalled upload', () => {
  it('does not hold the operation lock: flip and rollback answer for themselves while it stalls', { timeout: 60_000 }, async () => {
    const d = await startDaemon();
    stalledDeploy(d);
    // The upload is being received once its temp file exists.
    await eventually(async () => expect((await uploadsOf(d)).some((f) => f.endsWith('.part'))).toBe(true), 10_000);
    const flip = await d.api('POST', '/api/flip');
    expect(String(flip.json.message)).not.toMatch(LOCK_BUSY);
    expect(flip.json.message).toMatch(/cannot take traffic/);
    const rollback = await d.api('POST', '/api/rollback');
    expect(String(rollback.json.message)).not.toMatch(LOCK_BUSY);
  });

  it('is dropped after uploads.idleTimeoutMs of silence, with a 408 answer, and its temp file removed', { timeout: 60_000 }, async () => {
    const d = await startDaemon({ uploads: { idleTimeoutMs: 1_000 } });
    const { answer } = stalledDeploy(d);
    await eventually(async () => expect((await uploadsOf(d)).some((f) => f.endsWith('.part'))).toBe(true), 10_000);
    const text = await answer;
    expect(text).toMatch(/^HTTP\/1\.1 408/);
    expect(text).toMatch(/"error":"upload_timeout".*sent nothing for 1000 ms/);
    await eventually(async () => expect(await uploadsOf(d)).toEqual([]), 10_000);
    expect((await d.status()).slots.a.version).toBe('1.0.0');
  });
});

describe('repeated options of a deploy', () => {
  it('are refused with 400 naming the option, the checksum included, and nothing is deployed', { timeout: 60_000 }, async () => {
    const d = await startDaemon();
    const { body, sha256 } = await packed(d, 'v2', { version: '2.0.0' });
    const bad = '0'.repeat(64);
    const cases: [string, Record<string, string>, RegExp][] = [
      [`?sha256=${bad}&sha256=${bad}`, {}, /sha256 was given 2 times; give it once/],
      [`?sha256=${sha256}&version=2.0.0&version=2.0.0`, {}, /version was given 2 times/],
      ['?inPlace=true&inPlace=true', {}, /inPlace was given 2 times/],
      ['?allowDowngrade=1&allowDowngrade=1', {}, /allowDowngrade was given 2 times/],
      ['?minCompatible=1.0.0&minCompatible=1.0.0&waitDrain=1&waitDrain=1', {}, /(minCompatible|waitDrain) was given 2 times/],
      ['?version=2.0.0', { 'x-slotswap-version': '2.1.0' }, /version was given as "2\.0\.0" in the query and "2\.1\.0" in the X-Slotswap-Version header/],
    ];
    for (const [query, headers, message] of cases) {
      const answer = await deployRequest(d, query, body, headers);
      expect(answer.status, query).toBe(400);
      expect((JSON.parse(answer.body) as { message: string }).message, query).toMatch(message);
    }
    const status = await d.status();
    expect(status.live).toBe('a');
    expect(status.slots.a.version).toBe('1.0.0');
    expect(status.slots.b.version).toBeNull();
  });
});

describe('input checked before the lock', () => {
  it('answers a bad version with exit 2 while the previous deploy still drains', { timeout: 90_000 }, async () => {
    const d = await startDaemon({ drain: { graceMs: 60_000 } });
    const v11 = await makeRelease(d.dir, 'v11', { version: '1.1.0' });
    expect((await d.cli(['deploy', v11])).code).toBe(0);
    await eventually(async () => expect((await d.status()).slots.a.state).toBe('draining'));
    const v12 = await makeRelease(d.dir, 'v12', { version: '1.2.0' });
    const bad = await d.cli(['deploy', v12, '--version', 'bad']);
    expect(bad.code, bad.stderr).toBe(2);
    expect(bad.stderr).toMatch(/version "bad" is not a valid semver version/);
    const badMin = await d.cli(['deploy', v12, '--min-compatible', '1.x']);
    expect(badMin.code, badMin.stderr).toBe(2);
  });
});

describe('release limits', () => {
  it('limits the unpacked size to 8 x uploads.maxBytes, as the docs say', { timeout: 60_000 }, async () => {
    const d = await startDaemon({ uploads: { maxBytes: 20_000 } });
    const bomb = await makeRelease(d.dir, 'bomb', { version: '1.1.0' }, { 'zeros.bin': '\0'.repeat(200_000) });
    const answer = await d.cli(['deploy', bomb]);
    expect(answer.code, answer.stderr).toBe(2);
    expect(answer.stderr).toMatch(/larger than 160000 bytes unpacked/);
    expect((await d.status()).slots.a.version).toBe('1.0.0');
  });

  it('deploys a version with build metadata', { timeout: 60_000 }, async () => {
    const d = await startDaemon();
    const built = await makeRelease(d.dir, 'built', { version: '1.8.0+build.5' });
    const answer = await d.cli(['deploy', built]);
    expect(answer.code, answer.stderr).toBe(0);
    expect((await d.status()).slots.b.version).toBe('1.8.0+build.5');
  });
});

/** A 1 MiB tmpfs at dir (root only); false when this machine cannot mount one. */
function smallDisk(dir: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir], { stdio: 'ignore' });
  } catch {
    return false;
  }
  // Lazy: the daemon's instances may still have their cwd there when this runs.
  onTestFinished(() => void execFileSync('umount', ['-l', dir], { stdio: 'ignore' }));
  return true;
}

const canMount = process.getuid?.() === 0;

describe.skipIf(!canMount)('a full disk', () => {
  it('answers disk_full naming the uploads folder when an upload fills it, and keeps nothing', { timeout: 60_000 }, async () => {
    const project = await makeProject();
    const uploads = path.join(project.dir, 'state/uploads');
    await mkdir(uploads, { recursive: true });
    expect(smallDisk(uploads)).toBe(true);
    const d = await startDaemonIn(project);
    const big = await makeRelease(d.dir, 'big', { version: '1.1.0' });
    await writeFile(path.join(big, 'noise.bin'), randomBytes(1_500_000));
    const answer = await d.cli(['deploy', big]);
    expect(answer.code, answer.stderr).toBe(1);
    expect(answer.stderr).toContain(`no space left on the file system of ${uploads}`);
    await eventually(async () => expect(await readdir(uploads)).toEqual([]));
    expect((await d.status()).slots.a.version).toBe('1.0.0');
  });

  it('answers disk_full naming the slots folder when unpacking fills it, and leaves no incoming folder', { timeout: 60_000 }, async () => {
    const project = await makeProject({ slots: { a: { dir: 'small/a' }, b: { dir: 'small/b' } } });
    const small = path.join(project.dir, 'small');
    await mkdir(small, { recursive: true });
    expect(smallDisk(small)).toBe(true);
    const d = await startDaemonIn(project);
    const big = await makeRelease(d.dir, 'big', { version: '1.1.0' });
    await writeFile(path.join(big, 'noise.bin'), randomBytes(1_500_000));
    const answer = await d.cli(['deploy', big]);
    expect(answer.code, answer.stdout + answer.stderr).toBe(1);
    expect(answer.stdout + answer.stderr).toContain(`no space left on the file system of ${small}`);
    await eventually(async () => expect((await readdir(small)).filter((f) => f.includes('incoming'))).toEqual([]));
    expect((await d.status()).slots.a.version).toBe('1.0.0');
  });
});
