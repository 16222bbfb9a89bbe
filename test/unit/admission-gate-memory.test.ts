// The admission gate's queue of waiting connections must not keep one alive once it was let in (and then closed):
// a closed connection can still hold every answer it had buffered. Checked in a child with --expose-gc on the build.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const GATE = pathToFileURL(path.resolve(import.meta.dirname, '../../dist/proxy/admission-gate.js')).href;

const SCRIPT = `
import net from 'node:net';
import { AdmissionGate } from ${JSON.stringify(GATE)};
const gate = new AdmissionGate(1);
const first = new net.Socket();
const epoch = gate.arrived(first);
let second = new net.Socket();
gate.acceptedPaused(second);
const waited = gate.waitingConnections;
gate.ended(null, epoch);
const letIn = gate.waitingConnections === 0;
second.destroy();
const ref = new WeakRef(second);
second = null;
await new Promise((r) => setTimeout(r, 20));
globalThis.gc();
await new Promise((r) => setImmediate(r));
globalThis.gc();
console.log(JSON.stringify({ waited, letIn, kept: ref.deref() !== undefined }));
gate.close();
`;

describe('the admission gate', () => {
  it('keeps no reference to a connection it let in once that connection is closed', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', '--input-type=module', '-e', SCRIPT], { timeout: 20_000 });
    expect(JSON.parse(stdout)).toEqual({ waited: 1, letIn: true, kept: false });
  });
});
