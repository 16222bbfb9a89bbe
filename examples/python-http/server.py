"""A slotswap release in Python, standard library only: listens on $HOST:$PORT, drains on SIGTERM."""
import json
import os
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOST = os.environ.get("HOST", "127.0.0.1")
PORT = int(os.environ.get("PORT", "8000"))
VERSION = os.environ.get("SLOTSWAP_VERSION", "dev")
SLOT = os.environ.get("SLOTSWAP_SLOT", "-")
INSTANCE = os.environ.get("SLOTSWAP_INSTANCE", "-")
GREETING = os.environ.get("GREETING", "hello")

stopping = threading.Event()
in_flight = 0
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    # HTTP/1.1 keep-alive: the proxy reuses its connections to the instance.
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        global in_flight
        with lock:
            in_flight += 1
        try:
            if self.path == "/health":
                # The pid lets slotswap check that this answer comes from its own instance.
                self.answer(200, {"status": "ok", "pid": os.getpid()})
            elif self.path == "/":
                self.answer(200, {"message": GREETING, "version": VERSION, "slot": SLOT, "instance": INSTANCE, "pid": os.getpid()})
            else:
                self.answer(404, {"error": "not_found", "path": self.path})
        finally:
            with lock:
                in_flight -= 1

    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if stopping.is_set():
            # Draining: tell the proxy not to reuse this connection.
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, fmt, *args):
        # stdout/stderr go to state/logs/<slot>-<n>.log.
        sys.stdout.write("%s %s\n" % (self.address_string(), fmt % args))


server = ThreadingHTTPServer((HOST, PORT), Handler)
# Idle keep-alive threads must not keep the process alive once it has decided to exit.
server.daemon_threads = True


def on_sigterm(signum, frame):
    stopping.set()
    # shutdown() waits for serve_forever() to return, so it cannot run in the thread that serves.
    threading.Thread(target=server.shutdown, daemon=True).start()


signal.signal(signal.SIGTERM, on_sigterm)
print("python-http %s listening on %s:%d (slot %s, instance %s)" % (VERSION, HOST, PORT, SLOT, INSTANCE), flush=True)
server.serve_forever()
server.server_close()
# Finish the requests in flight (slotswap sends SIGKILL after drain.stopTimeoutMs), then exit.
deadline = time.monotonic() + 8
while in_flight > 0 and time.monotonic() < deadline:
    time.sleep(0.05)
print("python-http %s stopped" % VERSION, flush=True)
