#!/usr/bin/python3
"""ipfix_peers.py - what each IPFIX collector decoded, in one shape, to
compare with the JSON records (tests/e2e/test_ipfix_peers.sh).

  json FILE        our JSON records: "records in_pkts in_bytes out_pkts out_bytes"
  nfdump FILE      nfdump -o json output: the same five numbers
  tshark FILE      tshark -V text: data records (not template 264) and the sums
  pyipfix FILE     an IPFIX stream decoded by python3-ipfix: the same
  ipfixdump FILE   ipfixDump --stats output: data records of the flow templates
  dirs-json FILE / dirs-nfacctd FILE
                   per direction (src, dst, proto, ports): records, packets,
                   bytes, one line each, sorted: uniflow JSON vs nfacctd
"""
import ipaddress, json, re, socket, sys

def json_records(path):
    with open(path) as f:
        for line in f:
            if line.startswith("{"):
                yield json.loads(line)

def cmd_json(path):
    t = [0] * 5
    for r in json_records(path):
        t[0] += 1
        t[1] += r["IN_PKTS"]; t[2] += r["IN_BYTES"]
        t[3] += r["OUT_PKTS"]; t[4] += r["OUT_BYTES"]
    print(*t)

def cmd_nfdump(path):
    with open(path) as f:
        recs = json.load(f)
    t = [len(recs), 0, 0, 0, 0]
    for r in recs:
        t[1] += int(r.get("in_packets", 0)); t[2] += int(r.get("in_bytes", 0))
        t[3] += int(r.get("out_packets", 0)); t[4] += int(r.get("out_bytes", 0))
    print(*t)

def cmd_tshark(path):
    t = [0] * 5
    tid = None
    for line in open(path, errors="replace"):
        m = re.match(r"\s+FlowSet Id: .*\((\d+)\)$", line)
        if m:
            tid = int(m.group(1))
            continue
        if tid is None or tid < 256 or tid == 264:
            continue
        s = line.strip()
        if re.fullmatch(r"Flow \d+", s):
            t[0] += 1
        m = re.fullmatch(r"(Packets|Octets): (\d+)( \(Reverse.*\))?", s)
        if m:
            i = (1 if m.group(1) == "Packets" else 2) + (2 if m.group(3) else 0)
            t[i] += int(m.group(2))
    print(*t)

def cmd_pyipfix(path):
    import ipfix.ie, ipfix.reader
    ipfix.ie.use_iana_default()
    ipfix.ie.use_5103_default()
    t = [0] * 5
    with open(path, "rb") as f:
        for r in ipfix.reader.from_stream(f).namedict_iterator():
            if "packetDeltaCount" not in r:
                continue        # the options (statistics) record
            t[0] += 1
            t[1] += r["packetDeltaCount"]; t[2] += r["octetDeltaCount"]
            t[3] += r.get("reversePacketDeltaCount", 0)
            t[4] += r.get("reverseOctetDeltaCount", 0)
    print(*t)

def cmd_ipfixdump(path):
    n = 0
    for line in open(path):
        m = re.match(r"\s*(\d+) \(0x[0-9a-f]+\)\s*\|\s*(\d+)", line)
        if m and int(m.group(1)) != 264:
            n += int(m.group(2))
    print(n)

def dkey(src, dst, proto, sport, dport):
    if proto in (1, 58):        # ICMP: ports differ by collector; the addresses say enough
        sport = dport = None
    return (str(ipaddress.ip_address(src)), str(ipaddress.ip_address(dst)), proto, sport, dport)

def add(d, k, pkts, byts):
    e = d.setdefault(k, [0, 0, 0])
    e[0] += 1; e[1] += pkts; e[2] += byts

def show(d):
    for k in sorted(d, key=str):
        print(*k, *d[k])

def cmd_dirs_json(path):
    d = {}
    for r in json_records(path):
        v6 = r["IP_PROTOCOL_VERSION"] == 6
        s = r["IPV6_SRC_ADDR" if v6 else "IPV4_SRC_ADDR"]
        t = r["IPV6_DST_ADDR" if v6 else "IPV4_DST_ADDR"]
        p, sp, dp = r["PROTOCOL"], r["L4_SRC_PORT"], r["L4_DST_PORT"]
        add(d, dkey(s, t, p, sp, dp), r["IN_PKTS"], r["IN_BYTES"])
        if r["OUT_PKTS"]:
            add(d, dkey(t, s, p, dp, sp), r["OUT_PKTS"], r["OUT_BYTES"])
    show(d)

def proto_num(p):
    if isinstance(p, int) or str(p).isdigit():
        return int(p)
    return {"ipv6-icmp": 58, "icmp6": 58}.get(p, None) or socket.getprotobyname(p)

def cmd_dirs_nfacctd(path):
    d = {}
    for line in open(path):
        if not line.startswith("{"):
            continue
        r = json.loads(line)
        add(d, dkey(r["ip_src"], r["ip_dst"], proto_num(r["ip_proto"]), r["port_src"],
                    r["port_dst"]), r["packets"], r["bytes"])
    show(d)

CMDS = {"json": cmd_json, "nfdump": cmd_nfdump, "tshark": cmd_tshark, "pyipfix": cmd_pyipfix,
        "ipfixdump": cmd_ipfixdump, "dirs-json": cmd_dirs_json, "dirs-nfacctd": cmd_dirs_nfacctd}

if __name__ == "__main__":
    CMDS[sys.argv[1]](sys.argv[2])
