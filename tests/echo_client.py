# SPDX-License-Identifier: GPL-2.0-only
# Holds one TCP connection to ADDR PORT and sends numbered lines 1..COUNT,
# one every INTERVAL seconds, checking that each answer carries the same
# number. Prints "OK <n> <host> <gap_ms>" per answer (gap: time since the
# previous answer), then "DONE <count> <local address>". Waits for a line on
# stdin before each number in PAUSE_AT (comma list) so a test can act there.
import socket
import sys
import time

addr, port, count, interval = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
pause_at = {int(x) for x in sys.argv[5].split(",") if x} if len(sys.argv) > 5 else set()
s = socket.create_connection((addr, port), timeout=60)
f = s.makefile("rwb", buffering=0)
local = "%s:%d" % s.getsockname()[:2]
last = time.monotonic()
for n in range(1, count + 1):
    if n in pause_at:
        print("PAUSE %d" % n, flush=True)
        sys.stdin.readline()
    f.write(b"%d\n" % n)
    reply = f.readline().split()
    now = time.monotonic()
    if len(reply) != 2 or reply[1] != b"%d" % n:
        print("BAD %d %r" % (n, reply), flush=True)
        sys.exit(1)
    print("OK %d %s %d" % (n, reply[0].decode(), (now - last) * 1000), flush=True)
    last = now
    time.sleep(interval)
print("DONE %d %s %s" % (count, local, "%s:%d" % s.getsockname()[:2]), flush=True)
