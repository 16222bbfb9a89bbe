#!/usr/bin/env node
// A sample client of slotswap (plain Node 20, no dependencies): read AppRun.json, decide must/may upgrade, download only
// the changed client files of the live version (sha256-checked, temp files + renames), then call the API with its version.
//   node client.mjs --manifest http://localhost:8080/AppRun.json --dir ./my-app [--no-upgrade]
import { createHash, randomBytes } from 'node:crypto';
import { link, mkdir, readFile, rename, rm, writeFile, copyFile } from 'node:fs/promises';
import path from 'node:path';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i === -1 ? fallback : args[i + 1];
};
const manifestUrl = option('--manifest', process.env.MANIFEST_URL ?? 'http://localhost:8080/AppRun.json');
const dir = path.resolve(option('--dir', process.env.CLIENT_DIR ?? 'sample-client-data'));
const upgrade = !args.includes('--no-upgrade');

/** semver order for x.y.z[-pre] (enough for a sample; a real client uses a semver library). */
function compare(x, y) {
  const parse = (v) => {
    const [core, pre] = v.split('+')[0].split(/-(.*)/s);
    return { nums: core.split('.').map(Number), pre: pre ?? null };
  };
  const a = parse(x);
  const b = parse(y);
  for (let i = 0; i < 3; i++) if (a.nums[i] !== b.nums[i]) return a.nums[i] < b.nums[i] ? -1 : 1;
  if (a.pre === b.pre) return 0;
  if (a.pre === null) return 1;
  if (b.pre === null) return -1;
  return a.pre < b.pre ? -1 : 1;
}

async function getJson(url) {
  const res = await fetch(url);
  const body = await res.text();
  if (!res.ok) return { status: res.status, json: null, body };
  return { status: res.status, json: JSON.parse(body), body };
}

const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');
const local = (root, file) => path.join(root, ...file.split('/'));
/** Each path segment encoded, the slashes kept: the URL names exactly the listed file. */
const fileUrl = (base, file) => new URL(file.split('/').map(encodeURIComponent).join('/'), base);

/** installed.json names the version whose folder is complete; it changes by one rename, after the new folder is whole. */
async function installed() {
  try {
    return JSON.parse(await readFile(path.join(dir, 'installed.json'), 'utf8'));
  } catch {
    return null;
  }
}

async function writeAtomically(file, data) {
  const temp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temp, data);
  await rename(temp, file);
}

/** Builds versions/<version>/ beside the current one: unchanged files linked (or copied), changed ones downloaded. */
async function install(current, manifest) {
  const appBase = manifest.deployment_urls.app;
  let changed;
  let removed = [];
  let full = null;
  if (current) {
    const since = await getJson(`${manifest.appFiles}?since=${encodeURIComponent(current.version)}`);
    if (since.status === 200) ({ changed, removed } = since.json);
  }
  const list = await getJson(manifest.appFiles);
  if (list.status !== 200) throw new Error(`GET ${manifest.appFiles} answered ${list.status}: ${list.body.slice(0, 200)}`);
  full = list.json.files;
  // Without a usable ?since= answer (first install, or the old list no longer kept) every file is downloaded.
  changed ??= full;
  const changedPaths = new Set(changed.map((f) => f.path));
  const target = path.join(dir, 'versions', manifest.version);
  const staging = `${target}.staging-${randomBytes(4).toString('hex')}`;
  await mkdir(staging, { recursive: true });
  const downloaded = [];
  for (const file of full) {
    const to = local(staging, file.path);
    await mkdir(path.dirname(to), { recursive: true });
    if (!changedPaths.has(file.path) && current) {
      const from = local(path.join(dir, 'versions', current.version), file.path);
      await link(from, to).catch(() => copyFile(from, to));
      continue;
    }
    const res = await fetch(fileUrl(appBase, file.path));
    if (res.status !== 200) throw new Error(`GET ${file.path} answered ${res.status}`);
    const body = Buffer.from(await res.arrayBuffer());
    if (sha256(body) !== file.sha256) throw new Error(`${file.path}: expected sha256 ${file.sha256}, got ${sha256(body)}; not installed`);
    await writeFile(`${to}.tmp`, body);
    await rename(`${to}.tmp`, to);
    downloaded.push(file.path);
  }
  // Every file of the new set is checked against the list before the switch.
  for (const file of full) {
    const have = sha256(await readFile(local(staging, file.path)));
    if (have !== file.sha256) throw new Error(`${file.path}: expected sha256 ${file.sha256}, got ${have}; not installed`);
  }
  await rm(target, { recursive: true, force: true });
  await rename(staging, target);
  await writeAtomically(path.join(dir, 'installed.json'), `${JSON.stringify({ version: manifest.version, files: full }, null, 2)}\n`);
  if (current && current.version !== manifest.version) await rm(path.join(dir, 'versions', current.version), { recursive: true, force: true });
  return { downloaded, removed, verified: full.length };
}

async function main() {
  await mkdir(dir, { recursive: true });
  const manifest = (await getJson(manifestUrl)).json;
  if (!manifest) throw new Error(`GET ${manifestUrl} gave no manifest`);
  const current = await installed();
  const mine = current?.version ?? null;
  const decision = mine === null ? 'install' : compare(mine, manifest.minCompatibleVersion) < 0 ? 'must-upgrade' : compare(mine, manifest.version) < 0 ? 'may-upgrade' : 'up-to-date';
  let result = { downloaded: [], removed: [], verified: 0 };
  // Without appFiles the live release ships no client files: say so, rather than print an install of nothing.
  const note = manifest.appFiles ? null : `the live release ${manifest.version} has no client files (AppRun.json has no appFiles), so there is nothing to download; a release ships them in its client/ folder (docs/clients.md, "Client files")`;
  if (note) console.error(`sample-client: ${note}`);
  if (decision !== 'up-to-date' && manifest.appFiles && (upgrade || decision !== 'may-upgrade')) result = await install(current, manifest);
  const now = (await installed())?.version ?? mine;
  const api = await fetch(new URL('', manifest.webApiUrl), { headers: now ? { 'X-Client-Version': now } : {} });
  const summary = { from: mine, to: now, decision, ...result, api: { status: api.status, version: api.headers.get('x-app-version') }, ...(note ? { note } : {}) };
  console.log(JSON.stringify(summary));
  return api.ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`sample-client: ${err.message}`);
    process.exit(1);
  },
);
