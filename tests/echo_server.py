# SPDX-License-Identifier: GPL-2.0-only
# A line echo server for the checkpoint/restore tests: answers each line
# with "<hostname> <line>", one client after the other, forever.
import socket
import sys

port = int(sys.argv[1])
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("0.0.0.0", port))
srv.listen(8)
while True:
    conn, _ = srv.accept()
    with conn, conn.makefile("rwb", buffering=0) as f:
        for line in f:
            f.write(socket.gethostname().encode() + b" " + line)
