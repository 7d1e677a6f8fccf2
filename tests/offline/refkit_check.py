#!/usr/bin/python3
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
"""Check tc_flowmon_user -r JSON records against refkit/pcap_flows.py --biflow.

  refkit_check.py ORACLE_BIFLOW.csv OURS.jsonl

The oracle (scapy, IPFIX semantics) splits records on idle/active timeouts
exactly like the kernel does when a packet arrives, and ends everything at
end of file with 3 (FIN/RST seen) or 4. Two deliberate differences, applied
to the oracle's rows here, not to ours:
  * ICMP: the oracle keys echo request and reply apart (dport =
    type*256+code); we merge a request with its reply into one record, so
    the oracle's reply row is folded into the request row as the reverse.
  * Ports of ICMP: ours are type/code in L4_SRC/DST_PORT.
Every record must match: key, packets and bytes per direction, start time
(ms) and end reason. Prints TAP-friendly lines; exit 1 on any difference.
"""
import csv
import json
import sys

PEER = {8: 0, 0: 8, 13: 14, 14: 13, 15: 16, 16: 15, 17: 18, 18: 17,
        128: 129, 129: 128, 133: 134, 134: 133, 135: 136, 136: 135}


def oracle(path):
    rows = list(csv.DictReader(open(path)))
    out = []
    icmp = {}
    for r in rows:
        proto, dport = int(r["proto"]), int(r["dport"])
        rec = dict(ver=int(r["ipver"]), proto=proto, src=r["src"], dst=r["dst"],
                   sport=int(r["sport"]), dport=dport,
                   ip=int(r["packets"]), ib=int(r["l3_bytes"]),
                   op=int(r["rev_packets"]), ob=int(r["rev_l3_bytes"]),
                   start=round(float(r["first"]) * 1000),
                   reason=int(r["end_reason"]))
        if proto in (1, 58):
            rec["sport"], rec["dport"] = dport >> 8, dport & 0xFF
            icmp[(rec["src"], rec["dst"], proto, rec["sport"], rec["dport"])] = rec
        out.append(rec)
    # fold each ICMP reply into its request (same reason)
    for rec in list(out):
        if rec["proto"] not in (1, 58) or rec["sport"] not in PEER:
            continue
        peer = icmp.get((rec["dst"], rec["src"], rec["proto"], PEER[rec["sport"]],
                         rec["dport"]))
        if peer and peer in out and rec in out and rec["start"] <= peer["start"]:
            rec["op"], rec["ob"] = peer["ip"], peer["ib"]
            out.remove(peer)
    return out


def ours(path):
    out = []
    for line in open(path):
        j = json.loads(line)
        v6 = "IPV6_SRC_ADDR" in j
        out.append(dict(ver=j["IP_PROTOCOL_VERSION"], proto=j["PROTOCOL"],
                        src=j["IPV6_SRC_ADDR" if v6 else "IPV4_SRC_ADDR"],
                        dst=j["IPV6_DST_ADDR" if v6 else "IPV4_DST_ADDR"],
                        sport=j["L4_SRC_PORT"], dport=j["L4_DST_PORT"],
                        ip=j["IN_PKTS"], ib=j["IN_BYTES"], op=j["OUT_PKTS"],
                        ob=j["OUT_BYTES"], start=j["FLOW_START_MILLISECONDS"],
                        reason=j["FLOW_END_REASON"]))
    return out


def main():
    want, got = oracle(sys.argv[1]), ours(sys.argv[2])
    bad = 0
    for w in want:
        if w in got:
            got.remove(w)
            continue
        print("# MISSING or DIFFERENT:", w)
        bad += 1
    for g in got:
        print("# EXTRA:", g)
        bad += 1
    print("# %d oracle records, %d problems" % (len(want), bad))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
