# SPDX-License-Identifier: GPL-2.0-only
# The service tests' server and client (tests/t_service.sh).
#   svc_probe.py serve tcp|udp NAME PORT [ADDR]
#       listen on ADDR (default the wildcard address, which lands on the
#       instance's VIP) and answer every connection or datagram with NAME;
#       prints READY once listening
#   svc_probe.py spread tcp|udp N ADDR PORT
#       N connections (TCP) or N flows of one datagram each (UDP, each from
#       its own port) to ADDR:PORT; prints "NAME COUNT" for each name that
#       answered, then "FAILED N" and the first error when some failed
#   svc_probe.py hold ADDR PORT
#       one TCP connection: prints the name that answers, then again after
#       each line read on stdin (the connection stays open between)
#   svc_probe.py flow N ADDR PORT
#       one UDP socket connected to ADDR:PORT (it takes only replies from
#       there) sends N datagrams; prints each answer's name and source
#   svc_probe.py dns ADDR NAME
#       one DNS query for NAME's A record to ADDR:53 from a connected UDP
#       socket (an answer from elsewhere is not taken); prints "A ADDR",
#       "RCODE N" or "ERR ..."
import socket
import sys
import threading


def family_of(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def serve(proto, name, port, addr):
    fam = family_of(addr) if addr else socket.AF_INET
    kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
    s = socket.socket(fam, kind)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr or "", port))
    if proto == "tcp":
        s.listen(128)
    print("READY", flush=True)
    while True:
        if proto == "udp":
            _, peer = s.recvfrom(2048)
            s.sendto(name.encode(), peer)
            continue
        c, _ = s.accept()
        threading.Thread(target=answer, args=(c, name), daemon=True).start()


def answer(c, name):
    with c:
        c.settimeout(30)
        try:
            while c.recv(64):
                c.sendall(name.encode())
        except OSError:
            pass


def one(proto, addr, port):
    kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
    with socket.socket(family_of(addr), kind) as s:
        s.settimeout(5)
        s.connect((addr, port))
        s.send(b"hi")
        return s.recv(64).decode()


def spread(proto, n, addr, port):
    counts, failed, first = {}, 0, None
    for _ in range(n):
        try:
            who = one(proto, addr, port)
            counts[who] = counts.get(who, 0) + 1
        except OSError as e:
            failed += 1
            first = first or (e.strerror or type(e).__name__)
    for who in sorted(counts):
        print(who, counts[who])
    if failed:
        print("FAILED", failed, first)


def hold(addr, port):
    with socket.socket(family_of(addr), socket.SOCK_STREAM) as s:
        s.settimeout(5)
        s.connect((addr, port))
        while True:
            s.send(b"hi")
            print(s.recv(64).decode(), flush=True)
            if not sys.stdin.readline():
                return


def flow(n, addr, port):
    with socket.socket(family_of(addr), socket.SOCK_DGRAM) as s:
        s.settimeout(5)
        s.connect((addr, port))
        for _ in range(n):
            s.send(b"hi")
            data, src = s.recvfrom(64)
            print(data.decode(), src[0], src[1])


def dns(addr, name):
    import struct
    qname = b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0"
    with socket.socket(family_of(addr), socket.SOCK_DGRAM) as s:
        s.settimeout(2)
        s.connect((addr, 53))
        s.send(struct.pack(">6H", 0x7376, 0x0100, 1, 0, 0, 0) + qname + struct.pack(">2H", 1, 1))
        try:
            r = s.recv(512)
        except OSError as e:
            print("ERR", e.strerror or type(e).__name__)
            return
    if r[3] & 0xF or struct.unpack(">H", r[6:8])[0] == 0:
        print("RCODE", r[3] & 0xF)
        return
    print("A", socket.inet_ntoa(r[-4:]))


cmd = sys.argv[1]
if cmd == "serve":
    serve(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5] if len(sys.argv) > 5 else "")
elif cmd == "spread":
    spread(sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5]))
elif cmd == "hold":
    hold(sys.argv[2], int(sys.argv[3]))
elif cmd == "dns":
    dns(sys.argv[2], sys.argv[3])
elif cmd == "flow":
    flow(int(sys.argv[2]), sys.argv[3], int(sys.argv[4]))
