import { describe, expect, it } from 'vitest';
import { clientFolder, describeClientFiles, describeSize, diffFileLists, type ClientFile } from '../../src/release/client-files.js';
import { parseRange } from '../../src/proxy/byte-range.js';
import { compresses, pickCoding } from '../../src/proxy/content-coding.js';

const f = (path: string, sha256: string, size = 10): ClientFile => ({ path, size, sha256 });

describe('client file lists', () => {
  it('lists as changed exactly the files that are new or differ, and the removed paths', () => {
    const older = [f('a.txt', '1'), f('b.txt', '2'), f('c.txt', '3'), f('d.txt', '4')];
    const newer = [f('a.txt', '1'), f('b.txt', '9'), f('d.txt', '4'), f('e.txt', '5')];
    expect(diffFileLists(older, newer)).toEqual({ changed: [f('b.txt', '9'), f('e.txt', '5')], removed: ['c.txt'] });
  });

  it('counts a file whose size changed as changed even with the same hash recorded', () => {
    expect(diffFileLists([f('a', '1', 1)], [f('a', '1', 2)]).changed).toHaveLength(1);
  });

  it('describes the files for the deploy line', () => {
    const files = [f('a', '1', 1024 * 1024), f('b', '2', 1024 * 1024)];
    expect(describeClientFiles(files, { version: '1.1.0', files: [f('a', '1', 1024 * 1024)] })).toBe('client files: 2 files, 2.0 MB, 1 changed since 1.1.0');
    expect(describeClientFiles(files, null)).toBe('client files: 2 files, 2.0 MB');
  });

  it('refuses a client folder outside the release', () => {
    expect(() => clientFolder('../x')).toThrow(/"client": expected a folder inside the release/);
    expect(() => clientFolder('/etc')).toThrow(/expected a folder inside/);
    expect(clientFolder(null)).toBe('client');
    expect(clientFolder('./app/files/')).toBe('app/files');
  });
});

describe('Range header', () => {
  it('reads the three single-range forms', () => {
    expect(parseRange('bytes=0-99', 1000)).toEqual({ start: 0, end: 99 });
    expect(parseRange('bytes=900-', 1000)).toEqual({ start: 900, end: 999 });
    expect(parseRange('bytes=-100', 1000)).toEqual({ start: 900, end: 999 });
    expect(parseRange('bytes=990-2000', 1000)).toEqual({ start: 990, end: 999 });
  });

  it('ignores what it does not serve (absent, malformed, several ranges) and refuses a range past the end', () => {
    expect(parseRange(undefined, 10)).toBeNull();
    expect(parseRange('items=0-1', 10)).toBeNull();
    expect(parseRange('bytes=0-1,5-6', 10)).toBeNull();
    expect(parseRange('bytes=5-2', 10)).toBeNull();
    expect(parseRange('bytes=10-', 10)).toBe('unsatisfiable');
    expect(parseRange('bytes=-0', 10)).toBe('unsatisfiable');
  });
});

describe('content coding', () => {
  it('prefers brotli, honours q=0 and *', () => {
    expect(pickCoding('gzip, deflate, br')).toBe('br');
    expect(pickCoding('gzip, br;q=0')).toBe('gzip');
    expect(pickCoding('*;q=0.5')).toBe('br');
    expect(pickCoding('identity')).toBeNull();
    expect(pickCoding(undefined)).toBeNull();
  });

  it('compresses text and binaries but not formats that are compressed already or tiny files', () => {
    expect(compresses('bin/app.exe', 5000)).toBe(true);
    expect(compresses('img/logo.PNG', 5000)).toBe(false);
    expect(compresses('a.txt', 100)).toBe(false);
  });
});

describe('a size for people', () => {
  it('says bytes, KB or MB, so a small client app is not "0.0 MB"', () => {
    expect([describeSize(1), describeSize(812), describeSize(5_000), describeSize(3 * 1024 * 1024)]).toEqual(['1 byte', '812 bytes', '4.9 KB', '3.0 MB']);
  });
});
