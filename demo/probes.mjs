// One-off requests of a single client app, to show how the proxy treats a client by its version.
import http from 'node:http';
import { quote } from './output.mjs';

/**
 * GET `path` on the proxy over a fresh connection.
 * @returns {Promise<{ status: number, headers: http.IncomingHttpHeaders, text: string, json: any }>}
 */
export function get(baseUrl, path, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.get(`${baseUrl}${path}`, { headers, agent: false, timeout: 10_000 }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json = null;
        try {
          json = JSON.parse(text);
        } catch {
          // not JSON: keep the text
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path}: no answer within 10 s`)));
    req.on('error', reject);
  });
}

/**
 * A client app that reports its version in X-Client-Version asks for GET /.
 * @returns {Promise<{ clientVersion: string, status: number, slot: string | undefined, version: string | undefined, json: any, upgradeAvailable: string | undefined }>}
 */
export async function askAs(baseUrl, clientVersion) {
  const answer = await get(baseUrl, '/', { 'x-client-version': clientVersion });
  const h = answer.headers;
  return { clientVersion, status: answer.status, slot: h['x-served-by-slot'], version: answer.json?.version, json: answer.json ?? answer.text, upgradeAvailable: h['x-upgrade-available'] };
}

/** Prints what a client got: who served it, or the notice it was answered with. */
export function printAnswer(answer) {
  const served = answer.status === 200 ? `: served by slot ${answer.slot} running ${answer.version}` : ` ${http.STATUS_CODES[answer.status] ?? ''}:`;
  const soft = answer.upgradeAvailable ? `, with X-Upgrade-Available: ${answer.upgradeAvailable}` : '';
  quote(`client ${answer.clientVersion.padEnd(6)} GET /  ->  ${answer.status}${served}${soft}`);
  if (answer.status !== 200) for (const line of JSON.stringify(answer.json, null, 2).split('\n')) quote(`    ${line}`);
  return answer;
}

/** askAs, printed. */
export async function clientAsks(baseUrl, clientVersion) {
  return printAnswer(await askAs(baseUrl, clientVersion));
}

/** GET /AppRun.json, printed. */
export async function showManifest(baseUrl) {
  const answer = await get(baseUrl, '/AppRun.json');
  quote(`GET /AppRun.json  ->  ${answer.status}, ETag ${answer.headers.etag ?? '-'}, Cache-Control: ${answer.headers['cache-control'] ?? '-'}`);
  for (const line of JSON.stringify(answer.json ?? answer.text, null, 2).split('\n')) quote(`    ${line}`);
  return answer.json;
}
