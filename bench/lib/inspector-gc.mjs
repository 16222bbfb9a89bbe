// A full garbage collection in another Node process, through its inspector (started with --inspect=127.0.0.1:<port>):
// RSS compared at two points means something only after the heap has been collected at both.
import WebSocket from 'ws';
import { httpRequest } from './daemon.mjs';

/**
 * @param {number} port the process's inspector port
 * @returns {Promise<{ heapUsedMb: number }>} once HeapProfiler.collectGarbage has answered: the JS heap in use after it
 */
export async function collectGarbage(port) {
  const targets = JSON.parse((await httpRequest(`http://127.0.0.1:${port}/json/list`, { timeoutMs: 5_000 })).body);
  const ws = new WebSocket(targets[0].webSocketDebuggerUrl);
  try {
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const answers = new Map();
    ws.on('message', (data) => {
      const message = JSON.parse(data.toString());
      answers.get(message.id)?.(message.result);
    });
    const call = (id, method) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${method} did not answer within 10 s`)), 10_000);
        answers.set(id, (result) => {
          clearTimeout(timer);
          resolve(result);
        });
        ws.send(JSON.stringify({ id, method }));
      });
    await call(1, 'HeapProfiler.collectGarbage');
    const usage = await call(2, 'Runtime.getHeapUsage');
    return { heapUsedMb: usage.usedSize / 2 ** 20 };
  } finally {
    ws.close();
  }
}
