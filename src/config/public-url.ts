// proxy.publicUrl: derived from the proxy's bound host and port when the config leaves it out, checked when it is set.

/** Hosts a browser on this machine reaches as `localhost`: every interface, or loopback. */
const LOCAL_HOSTS = new Set(['', '0.0.0.0', '::', '127.0.0.1', '::1', 'localhost']);

/** The URL clients use when proxy.publicUrl is empty: `localhost` for 0.0.0.0 and loopback, else the host itself. */
export function derivePublicUrl(host: string, port: number, scheme: 'http' | 'https' = 'http'): string {
  const name = LOCAL_HOSTS.has(host) ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return `${scheme}://${name}:${port}`;
}

/** The port a URL reaches: its own, or its scheme's default. */
export function portOfUrl(url: string): number {
  const parsed = new URL(url);
  if (parsed.port !== '') return Number(parsed.port);
  return parsed.protocol === 'https:' ? 443 : 80;
}

/** One warning line when a configured publicUrl names another port than the proxy listens on, else null. */
export function publicUrlPortWarning(publicUrl: string, boundPort: number): string | null {
  let port: number;
  try {
    port = portOfUrl(publicUrl);
  } catch {
    return `WARNING proxy.publicUrl ${publicUrl} is not a URL clients can use; expected e.g. http://localhost:${boundPort}, or remove it to derive it`;
  }
  if (port === boundPort) return null;
  return `WARNING proxy.publicUrl ${publicUrl} names port ${port}, but the proxy listens on port ${boundPort}: clients will be sent to port ${port}; remove proxy.publicUrl to derive it, or fix its port (ignore this if something in front forwards ${port} to ${boundPort})`;
}
