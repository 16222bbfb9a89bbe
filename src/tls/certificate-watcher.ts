// proxy.tls files watched for change: fs.watchFile polls stat, so a file replaced by rename (certbot, an atomic deploy)
// is seen like one written in place; changes are debounced so a cert and its key written one after the other reload once.
import { unwatchFile, watchFile, type Stats } from 'node:fs';
import { TLS_WATCH_DEBOUNCE_MS, TLS_WATCH_INTERVAL_MS } from '../defaults.js';

export class CertificateWatcher {
  readonly #files: string[];
  #timer: NodeJS.Timeout | null = null;
  readonly #listener = (now: Stats, before: Stats) => {
    if (now.mtimeMs === before.mtimeMs && now.ino === before.ino && now.size === before.size) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.onChange();
    }, TLS_WATCH_DEBOUNCE_MS);
    this.#timer.unref();
  };

  constructor(files: string[], private readonly onChange: () => void) {
    this.#files = [...new Set(files.filter((f) => f !== ''))];
    for (const file of this.#files) watchFile(file, { interval: TLS_WATCH_INTERVAL_MS, persistent: false }, this.#listener);
  }

  close(): void {
    if (this.#timer) clearTimeout(this.#timer);
    for (const file of this.#files) unwatchFile(file, this.#listener);
  }
}
