#!/usr/bin/env python3
"""hostile_server.py - a deliberately misbehaving micro-update mirror (stdlib only).

Serves MIRROR_DIR on 127.0.0.1:PORT, except that the mode file (MODE_FILE,
re-read on every request) names a misbehaviour applied to paths containing
its target:  "<mode> <substring>"  with mode one of
  drip      send the body one byte every 0.5 s
  trickle   send the body padded to 64 KiB at about 1,200 bytes/s (almost
            five times the per-transfer low-speed limit of 256 bytes/s, so
            that limit never stops it even on a loaded machine, where 600
            bytes/s sometimes did: about 55 s for one file)
  hang      read the request and never answer (the connection stays open);
            POST requests too (a statistics collector that never answers)
  endless   declare no length and send bytes forever
  liar      send the file with 1 MiB more (declared honestly by HTTP, but
            more than the manifest declares)
  status:N  answer with HTTP status N (401, 429, 500, ...)
  wrong     answer 200 with other content of the same length
  flip      flip one byte in the middle of the body
  truncate  send the first half of the body (declared honestly)
  from:DIR  serve the file from DIR instead (another mirror: other key,
            older manifest, another history)
  ok        behave
  (a target of "/" matches every path: "from:DIR /" serves another mirror)
Usage: hostile_server.py PORT MIRROR_DIR MODE_FILE
       hostile_server.py blackhole PORT_FILE
The second form listens on a free port with a full accept queue, so that a
connect() to it times out (SYNs are dropped), and writes the port to
PORT_FILE.
Not for: anything but tests.
"""
import http.server
import os
import socket
import sys
import time


def blackhole(port_file):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(0)
    port = s.getsockname()[1]
    fill = []
    for _ in range(8):
        c = socket.socket()
        c.setblocking(False)
        try:
            c.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        fill.append(c)
    with open(port_file + ".tmp", "w") as f:
        f.write("%d\n" % port)
    os.rename(port_file + ".tmp", port_file)
    while True:
        time.sleep(3600)


if sys.argv[1] == "blackhole":
    blackhole(sys.argv[2])
PORT, ROOT, MODE_FILE = int(sys.argv[1]), sys.argv[2], sys.argv[3]


def mode_for(path):
    try:
        mode, target = open(MODE_FILE).read().split()
    except (OSError, ValueError):
        return "ok"
    if target.startswith("="):        # "=name": exactly that file
        return mode if os.path.basename(path) == target[1:] else "ok"
    return mode if target in path else "ok"


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def body(self, root=ROOT):
        name = os.path.basename(self.path.split("?")[0])
        try:
            return open(os.path.join(root, name), "rb").read()
        except OSError:
            return None

    def head(self, code, length):
        self.send_response(code)
        if length is not None:
            self.send_header("Content-Length", str(length))
        self.send_header("Connection", "close")
        self.end_headers()

    def do_GET(self):
        mode = mode_for(self.path)
        data = self.body(mode[5:] if mode.startswith("from:") else ROOT)
        try:
            if mode.startswith("status:"):
                self.head(int(mode[7:]), 0)
            elif data is None:
                self.head(404, 0)
            elif mode == "drip":
                self.head(200, len(data))
                for b in data:
                    self.wfile.write(bytes([b]))
                    self.wfile.flush()
                    time.sleep(0.5)
            elif mode == "trickle":
                body = data + b"#" * max(0, 65536 - len(data))
                self.head(200, len(body))
                for i in range(0, len(body), 120):
                    self.wfile.write(body[i:i + 120])
                    self.wfile.flush()
                    time.sleep(0.1)
            elif mode == "hang":
                time.sleep(3600)
            elif mode == "endless":
                self.head(200, None)
                while True:
                    self.wfile.write(b"\0" * 65536)
            elif mode == "flip":
                self.head(200, len(data))
                mid = len(data) // 2
                self.wfile.write(data[:mid] + bytes([data[mid] ^ 1]) + data[mid + 1:])
            elif mode == "truncate":
                self.head(200, len(data) // 2)
                self.wfile.write(data[:len(data) // 2])
            elif mode == "liar":
                self.head(200, len(data) + (1 << 20))
                self.wfile.write(data + b"x" * (1 << 20))
            elif mode == "wrong":
                self.head(200, len(data))
                self.wfile.write(bytes((b ^ 0x5A) for b in data))
            else:
                self.head(200, len(data))
                self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def do_POST(self):
        if mode_for(self.path) == "hang":
            time.sleep(3600)
        else:
            self.head(501, 0)


http.server.ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
