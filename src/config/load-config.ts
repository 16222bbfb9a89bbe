// Reads orchestrator.config.json: defaults, validation with full key paths, paths resolved against the file's folder.
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { SlotswapError, describeValue } from '../errors.js';
import { CONFIG_SCHEMA, type Field, type Schema } from './config-schema.js';
import type { Config } from './config-types.js';
import { derivePublicUrl } from './public-url.js';
import { checkTlsConfig, tlsEnabled } from '../tls/tls-config.js';
import { parseFleetConfig } from '../fleet/fleet-config.js';

type Json = Record<string, unknown>;

function isPlainObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function expectation(field: Field): string {
  switch (field.kind) {
    case 'string':
      if (field.oneOf) return `one of ${field.oneOf.map((v) => JSON.stringify(v)).join(', ')}`;
      if (field.path) return field.optional ? 'a path, or "" for none' : 'a path (a non-empty string)';
      return field.hint ? `a string (${field.hint})` : 'a string';
    case 'int':
      return `an integer from ${field.min} to ${field.max}`;
    case 'strings':
      return 'an array of strings';
    case 'object':
      return 'an object';
    case 'bool':
      return 'true or false';
    case 'objects':
      return 'an array of objects';
  }
}

function applyField(field: Field, value: unknown, key: string, baseDir: string, problems: string[]): unknown {
  const wrong = () => {
    problems.push(`"${key}": expected ${expectation(field)}, got ${describeValue(value)}`);
    if (field.kind === 'objects') return [];
    return field.kind === 'object' ? applySchema(field.fields, {}, key, baseDir, []) : field.default;
  };
  switch (field.kind) {
    case 'bool':
      if (value === undefined) return field.default;
      if (typeof value !== 'boolean') return wrong();
      return value;
    case 'objects':
      if (value === undefined) return [];
      if (!Array.isArray(value)) return wrong();
      return value.map((item, i) => applyField({ kind: 'object', fields: field.fields }, item, `${key}[${i}]`, baseDir, problems));
    case 'object':
      if (value === undefined) return applySchema(field.fields, {}, key, baseDir, problems);
      if (!isPlainObject(value)) return wrong();
      return applySchema(field.fields, value, key, baseDir, problems);
    case 'int':
      if (value === undefined) return field.default;
      if (typeof value !== 'number' || !Number.isInteger(value) || value < field.min || value > field.max) return wrong();
      return value;
    case 'strings':
      if (value === undefined) return [...field.default];
      if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) return wrong();
      return [...value];
    case 'string': {
      const v = value === undefined ? field.default : value;
      if (typeof v !== 'string') return wrong();
      if (field.oneOf && !field.oneOf.includes(v)) return wrong();
      if (field.pattern && !field.pattern.test(v)) return wrong();
      if (field.path) {
        if (v.length === 0) return field.optional ? '' : wrong();
        return path.resolve(baseDir, v);
      }
      return v;
    }
  }
}

function applySchema(schema: Schema, input: Json, prefix: string, baseDir: string, problems: string[]): Json {
  const out: Json = {};
  for (const key of Object.keys(input)) {
    if (!Object.hasOwn(schema, key)) {
      const where = prefix ? `"${prefix}.${key}"` : `"${key}"`;
      problems.push(`${where}: unknown key; remove it or use one of ${Object.keys(schema).join(', ')}`);
    }
  }
  for (const [key, field] of Object.entries(schema)) {
    out[key] = applyField(field, input[key], prefix ? `${prefix}.${key}` : key, baseDir, problems);
  }
  return out;
}

function portRanges(config: Config): { key: string; from: number; to: number }[] {
  const ranges = [
    { key: 'slots.a.port', from: config.slots.a.port, to: config.slots.a.port + config.instances - 1 },
    { key: 'slots.b.port', from: config.slots.b.port, to: config.slots.b.port + config.instances - 1 },
  ];
  if (config.mode === 'hotswap') ranges.pop();
  if (config.proxy.port !== 0) ranges.push({ key: 'proxy.port', from: config.proxy.port, to: config.proxy.port });
  if (config.admin.port !== 0) ranges.push({ key: 'admin.port', from: config.admin.port, to: config.admin.port });
  return ranges;
}

function checkPorts(config: Config, problems: string[]): void {
  const ranges = portRanges(config);
  for (let i = 0; i < ranges.length; i++) {
    for (let j = i + 1; j < ranges.length; j++) {
      const x = ranges[i]!;
      const y = ranges[j]!;
      if (x.from <= y.to && y.from <= x.to) {
        const xs = x.from === x.to ? `${x.from}` : `${x.from}-${x.to}`;
        const ys = y.from === y.to ? `${y.from}` : `${y.from}-${y.to}`;
        problems.push(`"${y.key}": port ${ys} overlaps "${x.key}" (${xs}, with instances: ${config.instances}); give each its own ports`);
      }
    }
    if (ranges[i]!.to > 65_535) problems.push(`"${ranges[i]!.key}": ports up to ${ranges[i]!.to} exceed 65535 with instances: ${config.instances}`);
  }
  if (config.slots.a.dir === config.slots.b.dir) problems.push(`"slots.b.dir": expected a folder other than slots.a.dir, got ${config.slots.b.dir}`);
}

async function checkBootstrap(config: Config, problems: string[]): Promise<void> {
  if (config.mode !== 'bluegreen' || config.bootstrap === '') return;
  const manifest = path.join(config.bootstrap, 'release.json');
  try {
    const info = await stat(config.bootstrap);
    if (!info.isDirectory()) {
      problems.push(`"bootstrap": expected a release folder, got ${config.bootstrap} which is not a folder`);
      return;
    }
    await stat(manifest);
  } catch {
    problems.push(`"bootstrap": expected a release folder with a release.json, but ${manifest} does not exist; fix the path or create the release`);
  }
}

/** The port and scheme the public URL is derived from: the HTTPS side when TLS is on. */
export function publicSide(config: Config, boundPort?: number): [number, 'http' | 'https'] {
  return tlsEnabled(config) ? [boundPort ?? config.proxy.tls.port, 'https'] : [boundPort ?? config.proxy.port, 'http'];
}

/** Validates raw JSON (already parsed) as a config; throws invalid_config listing every problem. */
export async function validateConfig(raw: unknown, file: string): Promise<Config> {
  const problems: string[] = [];
  if (!isPlainObject(raw)) {
    throw new SlotswapError('invalid_config', `${file}: expected a JSON object, got ${describeValue(raw)}`);
  }
  const baseDir = path.dirname(file);
  // "fleet" is optional and validated on its own: without it the config is exactly what it was (docs/fleet.md).
  const { fleet, ...rest } = raw;
  const applied = applySchema(CONFIG_SCHEMA, rest, '', baseDir, problems) as unknown as Omit<Config, 'file'>;
  const config: Config = { ...applied, file };
  if (fleet !== undefined) config.fleet = parseFleetConfig(fleet, config.app, problems);
  checkTlsConfig(config, baseDir, problems);
  // Provisional until the proxy is bound: the daemon re-derives it from the real port (port 0).
  if (config.proxy.publicUrl === '') config.proxy.publicUrl = derivePublicUrl(config.proxy.host, ...publicSide(config));
  config.proxy.publicUrl = config.proxy.publicUrl.replace(/\/+$/, '');
  checkPorts(config, problems);
  if (config.proxy.headersTimeoutMs <= config.proxy.keepAliveTimeoutMs) {
    problems.push(`"proxy.headersTimeoutMs": expected more than proxy.keepAliveTimeoutMs (${config.proxy.keepAliveTimeoutMs}), got ${config.proxy.headersTimeoutMs}`);
  }
  await checkBootstrap(config, problems);
  if (problems.length > 0) {
    throw new SlotswapError('invalid_config', `invalid config ${file}:\n  ${problems.join('\n  ')}`, { problems });
  }
  return config;
}

export async function loadConfig(file: string): Promise<Config> {
  const absolute = path.resolve(file);
  let text: string;
  try {
    text = await readFile(absolute, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : (err as Error).message;
    throw new SlotswapError('invalid_config', `config file ${absolute} ${reason}; pass --config <file> or set SLOTSWAP_CONFIG`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new SlotswapError('invalid_config', `config file ${absolute} is not valid JSON: ${(err as Error).message}`);
  }
  return validateConfig(raw, absolute);
}
