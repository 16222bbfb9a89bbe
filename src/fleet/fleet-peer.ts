// Calls from one fleet node to another's admin API, with the fleet's shared admin token.
import { SlotswapError, isErrorCode } from '../errors.js';

export async function callPeer<T>(url: string, token: string, method: string, apiPath: string, body: unknown, timeoutMs: number): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`${url}${apiPath}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const cause = (err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message;
    throw new SlotswapError('unreachable', `its admin API at ${url} did not answer (${cause})`);
  }
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // reported below with the status
  }
  if (res.status !== 200) {
    const code = isErrorCode(json.error) ? json.error : 'operation_failed';
    throw new SlotswapError(code, typeof json.message === 'string' ? json.message : `HTTP ${res.status}: ${text.slice(0, 200)}`, json.logTail ? { logTail: json.logTail as string[] } : undefined);
  }
  return json as T;
}
