// A steady closed-loop load: N keep-alive clients, each sending its next request shortly after the last one is answered,
// counting every outcome (status, version, slot, error).
import http from 'node:http';

const REQUEST_TIMEOUT_MS = 15_000;

export class Load {
  /**
   * @param {string} name
   * @param {string} baseUrl the proxy's URL
   * @param {number} clients
   * @param {{ thinkMs?: number, bySlot?: boolean }} [options] thinkMs: pause between a client's requests; bySlot: count answers by version and slot
   */
  constructor(name, baseUrl, clients, options = {}) {
    this.name = name;
    this.thinkMs = options.thinkMs ?? 0;
    this.bySlot = options.bySlot ?? true;
    this.baseUrl = baseUrl;
    this.clients = clients;
    this.agent = new http.Agent({ keepAlive: true, maxSockets: clients });
    this.sent = 0;
    this.ok = 0;
    this.failed = 0;
    /** @type {Map<string, number>} "1.1.0 (slot b)" -> count */
    this.seen = new Map();
    /** The first few failures, for the summary. */
    this.errors = [];
    this.running = false;
    this.done = null;
    this.mark = { sent: 0, failed: 0, seen: new Map() };
  }

  start() {
    this.running = true;
    this.done = Promise.all(Array.from({ length: this.clients }, () => this.#client()));
    return this;
  }

  async #client() {
    while (this.running) {
      this.sent++;
      const outcome = await this.#once();
      if (outcome.error) {
        this.failed++;
        if (this.errors.length < 5) this.errors.push(outcome.error);
      } else {
        this.ok++;
        const key = this.bySlot ? `${outcome.version} (slot ${outcome.slot})` : String(outcome.version);
        this.seen.set(key, (this.seen.get(key) ?? 0) + 1);
      }
      if (this.thinkMs > 0 && this.running) await new Promise((resolve) => setTimeout(resolve, this.thinkMs));
    }
  }

  #once() {
    return new Promise((resolve) => {
      const req = http.get(`${this.baseUrl}/`, { agent: this.agent, timeout: REQUEST_TIMEOUT_MS }, (res) => {
        const chunks = [];
        res.on('data', (chunk) => chunks.push(chunk));
        res.on('error', (err) => resolve({ error: `response cut: ${err.message}` }));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode !== 200) return resolve({ error: `HTTP ${res.statusCode}: ${text.slice(0, 160)}` });
          let version = null;
          try {
            version = JSON.parse(text).version ?? null;
          } catch {
            return resolve({ error: `HTTP 200 with a body that is not JSON: ${text.slice(0, 160)}` });
          }
          resolve({ version, slot: res.headers['x-served-by-slot'] ?? '?' });
        });
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS / 1000} s`)));
      req.on('error', (err) => resolve({ error: err.message }));
    });
  }

  /** What happened since the last call: "+1,234 requests, 0 failed: 1.0.0 (slot a) 40%, 1.1.0 (slot b) 60%". */
  progress() {
    const sent = this.sent - this.mark.sent;
    const failed = this.failed - this.mark.failed;
    const parts = [];
    let answered = 0;
    const delta = new Map();
    for (const [key, n] of this.seen) {
      const d = n - (this.mark.seen.get(key) ?? 0);
      if (d > 0) delta.set(key, d), (answered += d);
    }
    for (const [key, d] of delta) parts.push(`${key} ${Math.round((100 * d) / answered)}%`);
    this.mark = { sent: this.sent, failed: this.failed, seen: new Map(this.seen) };
    return { sent, failed, served: parts.join(', ') || 'nothing' };
  }

  /** Stops sending, waits (bounded) for the requests in flight, and closes the keep-alive sockets. */
  async stop(timeoutMs = 20_000) {
    this.running = false;
    if (this.done) await Promise.race([this.done, new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
    this.agent.destroy();
  }
}
