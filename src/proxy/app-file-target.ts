// /_app/<version>/<path>?since=<version>, read into safe parts: every segment decoded once and refused when it climbs.

export interface AppFileTarget {
  version: string;
  /** Forward-slash path inside the version's folder; "files.json" is the file list. */
  file: string;
  since: string | null;
}

export interface AppFileRefusal {
  status: 400 | 404;
  message: string;
}

/** A semver string's characters only: a version names a folder, so nothing else may reach the file system. */
const VERSION = /^[0-9A-Za-z][0-9A-Za-z.+-]*$/;

function segment(raw: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    return null;
  }
  if (decoded === '' || decoded === '.' || decoded === '..' || /[/\\\0]/.test(decoded)) return null;
  return decoded;
}

/** `rest` is what follows "<prefix>/" in the request target, query included. */
export function parseAppFileTarget(rest: string): AppFileTarget | AppFileRefusal {
  const q = rest.indexOf('?');
  const pathPart = q === -1 ? rest : rest.slice(0, q);
  const notFound: AppFileRefusal = { status: 404, message: 'no such client file; the file list of a version is at /_app/<version>/files.json' };
  const parts = pathPart.split('/');
  const segments: string[] = [];
  for (const raw of parts) {
    const s = segment(raw);
    if (s === null) return notFound;
    segments.push(s);
  }
  const [version, ...file] = segments;
  if (version === undefined || !VERSION.test(version) || version.includes('..') || file.length === 0) return notFound;
  let since: string | null = null;
  if (q !== -1) {
    const value = new URLSearchParams(rest.slice(q + 1)).get('since');
    if (value !== null) {
      if (!VERSION.test(value) || value.includes('..')) return { status: 400, message: `?since= expected a version like "1.1.0", got ${JSON.stringify(value.slice(0, 64))}` };
      since = value;
    }
  }
  return { version, file: file.join('/'), since };
}
