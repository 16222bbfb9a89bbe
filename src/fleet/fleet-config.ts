// The optional "fleet" config key: where etcd is, this node's name and the admin URL the other nodes reach it at.
import { describeValue } from '../errors.js';
import { DEFAULT_FLEET_LEASE_TTL_S } from '../defaults.js';

export interface FleetConfig {
  etcd: { endpoints: string[]; prefix: string };
  node: string;
  advertiseUrl: string;
  /** Seconds a node's registration and the operation lock outlive a node that stopped answering etcd. */
  leaseTtlSeconds: number;
}

const URL_PATTERN = /^https?:\/\/[^\s/]+\/?$/;
const NODE_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
const KEYS = ['etcd', 'node', 'advertiseUrl', 'leaseTtlSeconds'];

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Validates the raw "fleet" value; every problem is pushed as "expected X, got Y". */
export function parseFleetConfig(raw: unknown, app: string, problems: string[]): FleetConfig | undefined {
  if (!isObject(raw)) {
    problems.push(`"fleet": expected an object with etcd, node and advertiseUrl, got ${describeValue(raw)}`);
    return undefined;
  }
  for (const key of Object.keys(raw)) if (!KEYS.includes(key)) problems.push(`"fleet.${key}": unknown key; remove it or use one of ${KEYS.join(', ')}`);
  const etcd = isObject(raw.etcd) ? raw.etcd : {};
  if (!isObject(raw.etcd)) problems.push(`"fleet.etcd": expected an object with endpoints and prefix, got ${describeValue(raw.etcd)}`);
  for (const key of Object.keys(etcd)) if (key !== 'endpoints' && key !== 'prefix') problems.push(`"fleet.etcd.${key}": unknown key; remove it or use one of endpoints, prefix`);
  const endpoints = etcd.endpoints;
  if (!Array.isArray(endpoints) || endpoints.length === 0 || !endpoints.every((e) => typeof e === 'string' && URL_PATTERN.test(e))) {
    problems.push(`"fleet.etcd.endpoints": expected a non-empty array of etcd client URLs like "http://127.0.0.1:2379", got ${describeValue(endpoints)}`);
  }
  const prefix = etcd.prefix ?? `/slotswap/${app}/`;
  if (typeof prefix !== 'string' || !/^\/\S*\/$/.test(prefix)) problems.push(`"fleet.etcd.prefix": expected a key prefix starting and ending with "/", like "/slotswap/${app}/", got ${describeValue(prefix)}`);
  if (typeof raw.node !== 'string' || !NODE_PATTERN.test(raw.node)) problems.push(`"fleet.node": expected this node's name (letters, digits, dot, dash or underscore), got ${describeValue(raw.node)}`);
  if (typeof raw.advertiseUrl !== 'string' || !URL_PATTERN.test(raw.advertiseUrl)) {
    problems.push(`"fleet.advertiseUrl": expected the admin API URL the other nodes reach this one at, like "http://10.0.0.1:9100", got ${describeValue(raw.advertiseUrl)}`);
  }
  const ttl = raw.leaseTtlSeconds ?? DEFAULT_FLEET_LEASE_TTL_S;
  if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < 2 || ttl > 300) problems.push(`"fleet.leaseTtlSeconds": expected an integer from 2 to 300, got ${describeValue(ttl)}`);
  return {
    etcd: { endpoints: Array.isArray(endpoints) ? (endpoints as string[]).map((e) => String(e).replace(/\/+$/, '')) : [], prefix: String(prefix) },
    node: String(raw.node),
    advertiseUrl: String(raw.advertiseUrl).replace(/\/+$/, ''),
    leaseTtlSeconds: Number(ttl),
  };
}
