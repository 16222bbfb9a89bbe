// POST /api/rollback's input: optional {"to": "<version>"} in the body, or ?to= in the query (not both).
import { SlotswapError, describeValue } from '../errors.js';

export function parseRollbackRequest(body: unknown, query: unknown): string | null {
  if (Array.isArray(query)) throw new SlotswapError('bad_request', `to was given ${query.length} times; give it once`);
  if (query !== undefined && typeof query !== 'string') throw new SlotswapError('bad_request', `to: expected a version like 1.2.0, got ${describeValue(query)}`);
  let fromBody: unknown;
  if (body !== undefined && body !== null) {
    if (typeof body !== 'object' || Array.isArray(body)) throw new SlotswapError('bad_request', `expected a JSON object like {"to": "1.2.0"}, got ${describeValue(body)}`);
    const { to, ...rest } = body as Record<string, unknown>;
    const unknown = Object.keys(rest);
    if (unknown.length > 0) throw new SlotswapError('bad_request', `unknown key ${JSON.stringify(unknown[0])}; expected only "to"`);
    if (to !== undefined && (typeof to !== 'string' || to === '')) throw new SlotswapError('bad_request', `"to": expected a version like 1.2.0, got ${describeValue(to)}`);
    fromBody = to;
  }
  if (fromBody !== undefined && query !== undefined && fromBody !== query) throw new SlotswapError('bad_request', `to is ${describeValue(query)} in the query but ${describeValue(fromBody)} in the body; give it once`);
  return (fromBody as string | undefined) ?? (query as string | undefined) ?? null;
}
