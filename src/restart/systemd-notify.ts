// sd_notify for Type=notify units: Node has no unix datagram sockets, so the datagram is sent by systemd-notify.
import { execFile } from 'node:child_process';

/** Sends e.g. ["MAINPID=123", "READY=1"] to $NOTIFY_SOCKET; does nothing outside systemd; a failure is logged, never thrown. */
export function notifySystemd(fields: string[]): Promise<void> {
  if (!process.env.NOTIFY_SOCKET) return Promise.resolve();
  return new Promise((resolve) => {
    // NotifyAccess=all lets systemd accept it from this helper process; MAINPID names the daemon itself.
    execFile('systemd-notify', fields, { timeout: 5_000 }, (err) => {
      if (err) console.warn(`slotswap: could not tell systemd ${fields.join(' ')} through systemd-notify (${(err as NodeJS.ErrnoException).code ?? err.message}); install systemd (it ships systemd-notify) or use Type=simple without restart`);
      resolve();
    });
  });
}
