#!/usr/bin/env python3
# spamd_raw.py - raw-socket clients for whorld's spamd protocol tests
# (what spamc cannot send: Exim's exact requests, garbage, lies, slow and
# idle clients). ADDR is HOST:PORT or unix:/path. Each subcommand prints
# what it got and exits 0; the shell driver judges the output.
#   send ADDR FILE [--no-halfclose] [--timeout S]   send FILE, print the reply
#   zlib ADDR CMD FILE        send FILE zlib-compressed with Compress: zlib
#   trickle ADDR MS N         send a request one byte every MS ms; print reply and seconds
#   idle ADDR N HOLD_S        open N idle connections, hold them, print how many got EOF
#   parallel ADDR FILE N [MS] send FILE on N connections (MS apart), print each status line
import socket, sys, time, zlib


def connect(addr, timeout=10.0):
    if addr.startswith("unix:"):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        s.connect(addr[5:])
    else:
        host, port = addr.rsplit(":", 1)
        s = socket.create_connection((host, int(port)), timeout)
    return s


def read_all(s):
    out = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
    except socket.timeout:
        out += b"<timeout>"
    except ConnectionResetError:
        out += b"<reset>"
    return out


def show(b):
    sys.stdout.write(b.decode("latin-1"))
    sys.stdout.flush()


def cmd_send(args):
    addr, path = args[0], args[1]
    halfclose = "--no-halfclose" not in args
    timeout = float(args[args.index("--timeout") + 1]) if "--timeout" in args else 10.0
    data = open(path, "rb").read()
    s = connect(addr, timeout)
    try:
        s.sendall(data)
        if halfclose:
            s.shutdown(socket.SHUT_WR)
    except OSError as e:  # the server answered and closed before all was sent
        sys.stderr.write("send: %s\n" % e)
    show(read_all(s))


def cmd_zlib(args):
    addr, cmd, path = args
    body = zlib.compress(open(path, "rb").read())
    s = connect(addr)
    s.sendall(b"%s SPAMC/1.5\r\nContent-length: %d\r\nCompress: zlib\r\n\r\n" % (cmd.encode(), len(body)) + body)
    s.shutdown(socket.SHUT_WR)
    show(read_all(s))


def cmd_trickle(args):
    addr, ms, n = args[0], int(args[1]), int(args[2])
    req = b"CHECK SPAMC/1.5\r\nContent-length: 1000\r\n\r\n" + b"x" * 1000
    s = connect(addr, 30)
    t0 = time.time()
    sent = 0
    try:
        for i in range(min(n, len(req))):
            s.send(req[i:i + 1])
            sent += 1
            time.sleep(ms / 1000.0)
    except (BrokenPipeError, ConnectionResetError):
        pass
    reply = read_all(s)
    show(reply)
    print("\nsent=%d seconds=%.1f" % (sent, time.time() - t0))


def cmd_idle(args):
    addr, n, hold = args[0], int(args[1]), float(args[2])
    socks = []
    for _ in range(n):
        socks.append(connect(addr, 5))
    time.sleep(hold)
    closed = 0
    for s in socks:
        s.setblocking(False)
        try:
            if s.recv(4096, socket.MSG_PEEK) is not None:
                closed += 1
        except BlockingIOError:
            pass
        except OSError:
            closed += 1
    print("opened=%d closed_by_server=%d" % (n, closed))
    for s in socks:
        s.close()


def cmd_parallel(args):
    addr, path, n = args[0], args[1], int(args[2])
    stagger = float(args[3]) / 1000.0 if len(args) > 3 else 0.0
    data = open(path, "rb").read()
    socks = [connect(addr, 30) for _ in range(n)]
    for s in socks:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        time.sleep(stagger)
    for s in socks:
        print(read_all(s).split(b"\r\n", 1)[0].decode("latin-1"))


cmds = {"send": cmd_send, "zlib": cmd_zlib, "trickle": cmd_trickle, "idle": cmd_idle,
        "parallel": cmd_parallel}
if len(sys.argv) < 3 or sys.argv[1] not in cmds:
    sys.exit("usage: spamd_raw.py send|zlib|trickle|idle|parallel ADDR ...")
cmds[sys.argv[1]](sys.argv[2:])
