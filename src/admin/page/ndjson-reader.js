// NDJSON read as it arrives (POST /api/deploy's step events): one JSON object per line, yielded line by line.

/** Yields each line of `body` (a ReadableStream of bytes) parsed as JSON; a line that is not JSON becomes { raw }. */
export async function* ndjsonLines(body) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  const parse = (line) => {
    try {
      return JSON.parse(line);
    } catch {
      return { raw: line };
    }
  };
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let nl;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl).trim();
      buffer = buffer.slice(nl + 1);
      if (line) yield parse(line);
    }
  }
  if (buffer.trim()) yield parse(buffer.trim());
}
