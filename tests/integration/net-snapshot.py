#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Print this network namespace's links, bridge VLANs and fdb, without the
devices named on the command line and without what changes by itself (timers,
carrier, counters, learned and multicast entries), so that two snapshots
differ only by what was done. With --names: link names, kinds and masters."""
import json
import subprocess
import sys

VOLATILE = {"flags", "operstate", "linkmode", "stats", "stats64", "updated", "used",
            # a bridge's offload limits follow its ports', as its carrier does
            "tso_max_size", "tso_max_segs", "gso_max_size", "gso_max_segs",
            "gro_max_size"}


def run(*cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out or "[]")


def clean(v):
    if isinstance(v, dict):
        return {k: clean(x) for k, x in sorted(v.items())
                if k not in VOLATILE and not k.endswith("_timer")}
    if isinstance(v, list):
        return [clean(x) for x in v]
    return v


def main():
    if sys.argv[1:2] == ["--names"]:
        for l in sorted(run("ip", "-d", "-j", "link", "show"), key=lambda l: l["ifname"]):
            print(l["ifname"], l.get("linkinfo", {}).get("info_kind", "-"), l.get("master", "-"))
        return
    skip = set(sys.argv[1:])
    links = [l for l in run("ip", "-d", "-j", "link", "show") if l["ifname"] not in skip]
    vlans = [v for v in run("bridge", "-j", "vlan", "show") if v.get("ifname") not in skip]
    # learned entries come and go with whatever traffic there is, and the
    # kernel's multicast entries with IPv6 addresses (DAD, carrier)
    fdb = [f for f in run("bridge", "-j", "fdb", "show")
           if f.get("ifname") not in skip and f.get("state")
           and not int(f["mac"][:2], 16) & 1]
    for name, items in (("link", links), ("vlan", vlans), ("fdb", fdb)):
        for item in sorted(json.dumps(clean(i), sort_keys=True) for i in items):
            print(name, item)


main()
