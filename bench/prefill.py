#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
# bench/prefill.py ENDPOINT FIRST COUNT: COUNT instances of a node "z" in the
# etcd registry (the keys an attach writes: inst, aid, vip, host), put over
# etcd's JSON gateway 25 instances per transaction, so that attach can be
# timed against a registry of that size (bench/registry.sh).
import base64, http.client, json, sys

host, port = sys.argv[1].split(":")
first, count = int(sys.argv[2]), int(sys.argv[3])
conn = http.client.HTTPConnection(host, int(port), timeout=10)
b64 = lambda s: base64.b64encode(s.encode()).decode()


def put(k, v):
    return {"request_put": {"key": b64("/vni/" + k), "value": b64(v)}}


ops = []
for i in range(first, first + count):
    name, vip = "z-%d" % i, "10.250.%d.%d" % (i // 250, i % 250 + 1)
    rec = {"name": name, "aid": 1000000 + i, "vip4": vip, "vip6": None, "hostname": name,
           "node": "z", "state": "running", "generation": 1}
    ops += [put("inst/" + name, json.dumps(rec)), put("aid/%010u" % (1000000 + i), name),
            put("vip/" + vip, name), put("host/" + name, name)]
    if len(ops) >= 100 or i == first + count - 1:
        conn.request("POST", "/v3/kv/txn", json.dumps({"success": ops}),
                     {"Content-Type": "application/json"})
        r = conn.getresponse()
        r.read()
        if r.status != 200:
            sys.exit("prefill: HTTP %d" % r.status)
        ops = []
