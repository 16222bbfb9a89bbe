import net from 'node:net';

/** Sends raw bytes to a port (a string as UTF-8) and returns the whole answer as text, or how the connection ended without one. */
export function rawExchange(port: number, payload: string | Buffer, waitMs = 10_000): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let answer = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(answer || 'no answer');
    }, waitMs);
    socket.on('data', (c: Buffer) => (answer += c.toString()));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(answer || 'closed without an answer');
    });
    socket.on('error', () => {});
    socket.write(payload);
  });
}
