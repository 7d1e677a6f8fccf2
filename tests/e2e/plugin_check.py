#!/usr/bin/python3
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
"""plugin_check.py - the independent side of the plugin tests (tests/e2e/test_plugin_*.sh).

Every expected value comes from tshark's dissection of a capture, never from
the meter: the DNS questions and answers, the TLS ClientHellos (and a JA4
fingerprint computed here from tshark's fields, following FoxIO's JA4
specification, with Python's hashlib), the IPFIX export decoded by tshark.
Each command prints one line per flow, space-separated, "-" for none.

  dns CAPTURE            client-port name qtype id rcode answers latency-ns
  tls CAPTURE            client-port sni alpn versions version ja4
  json FILE PORT KEY...  the values of KEY... in the JSON record whose L4_SRC_PORT is PORT
  ipfix-dns EXPORT PORT  the ntop DNS elements of the IPFIX record whose source port is PORT
  ipfix-tls EXPORT PORT  the TLS elements (PEN 32473) of that record, as text
  rtt-capture FILE       a capture of one TCP handshake at known times (rtt replay test)
"""
import hashlib, json, subprocess, sys

def tshark(args):
    return subprocess.run(["tshark"] + args, capture_output=True, text=True, check=True).stdout

def fields(cap, flt, names, extra=()):
    out = tshark(["-r", cap, "-Y", flt, "-T", "fields", "-E", "separator=|", "-E", "aggregator=,"]
                 + list(extra) + sum([["-e", n] for n in names], []))
    return [dict(zip(names, l.split("|"))) for l in out.splitlines()]

# ---- DNS (RFC 1035) -----------------------------------------------------------

def cmd_dns(cap):
    names = ["frame.time_epoch", "udp.srcport", "udp.dstport", "tcp.srcport", "tcp.dstport",
             "dns.flags.response", "dns.qry.name", "dns.qry.type", "dns.id", "dns.flags.rcode",
             "dns.count.answers"]
    q, r = {}, {}
    for f in fields(cap, "dns", names):
        resp = f["dns.flags.response"] in ("1", "True")
        port = f["udp.dstport" if resp else "udp.srcport"] or f["tcp.dstport" if resp else "tcp.srcport"]
        if resp:
            r.setdefault(port, f)
        else:
            q.setdefault(port, f)
    for port, f in sorted(q.items()):
        a = r.get(port)
        lat = round((float(a["frame.time_epoch"]) - float(f["frame.time_epoch"])) * 1e9) if a else "-"
        print(port, f["dns.qry.name"], f["dns.qry.type"], int(f["dns.id"], 0),
              a["dns.flags.rcode"] if a else "-", a["dns.count.answers"] if a else "-", lat)

# ---- TLS ClientHello and JA4 --------------------------------------------------

def grease(v):
    """RFC 8701: 0x0a0a, 0x1a1a, ... 0xfafa."""
    return (v & 0x0f0f) == 0x0a0a and (v >> 8) == (v & 0xff)

def nums(s):
    return [int(x, 0) for x in s.split(",") if x]

def sha12(s):
    return hashlib.sha256(s.encode()).hexdigest()[:12] if s else "0" * 12

VERSIONS = {0x0304: "13", 0x0303: "12", 0x0302: "11", 0x0301: "10", 0x0300: "s3"}

def ja4(legacy, cs, ext, sv, sig, alpn):
    """JA4 (FoxIO): a_b_c from the ClientHello's lists, GREASE left out."""
    ver = max(sv) if sv else legacy
    if alpn:
        a = alpn[0].encode()
        isan = lambda c: chr(c).isascii() and chr(c).isalnum()
        ac = chr(a[0]) + chr(a[-1]) if isan(a[0]) and isan(a[-1]) else a.hex()[0] + a.hex()[-1]
    else:
        ac = "00"
    part_a = "t%s%s%02d%02d%s" % (VERSIONS.get(ver, "00"), "d" if 0 in ext else "i",
                                  min(len(cs), 99), min(len(ext), 99), ac)
    part_b = sha12(",".join("%04x" % v for v in sorted(cs)))
    c = ",".join("%04x" % v for v in sorted(v for v in ext if v not in (0, 16)))
    if sig:
        c += "_" + ",".join("%04x" % v for v in sig)
    return part_a + "_" + part_b + "_" + sha12(c)

def cmd_tls(cap):
    names = ["tcp.srcport", "tls.handshake.version", "tls.handshake.ciphersuite",
             "tls.handshake.extension.type", "tls.handshake.extensions.supported_version",
             "tls.handshake.sig_hash_alg", "tls.handshake.extensions_alpn_str",
             "tls.handshake.extensions_server_name"]
    seen = set()
    for f in fields(cap, "tls.handshake.type == 1", names):
        if f["tcp.srcport"] in seen:
            continue
        seen.add(f["tcp.srcport"])
        legacy = int(f["tls.handshake.version"], 0)
        cs = [v for v in nums(f["tls.handshake.ciphersuite"]) if not grease(v)]
        ext = [v for v in nums(f["tls.handshake.extension.type"]) if not grease(v)]
        sv = [v for v in nums(f["tls.handshake.extensions.supported_version"]) if not grease(v)]
        sig = [v for v in nums(f["tls.handshake.sig_hash_alg"]) if not grease(v)]
        alpn = [a for a in f["tls.handshake.extensions_alpn_str"].split(",") if a]
        vers = ",".join("1.%d" % ((v & 0xff) - 1) if 0x0301 <= v <= 0x0304 else "0x%04x" % v
                        for v in (sv or [legacy]))
        print(f["tcp.srcport"], f["tls.handshake.extensions_server_name"] or "-",
              ",".join(alpn) or "-", vers, max(sv) if sv else legacy,
              ja4(legacy, cs, ext, sv, sig, alpn))

# ---- the meter's records --------------------------------------------------------

def cmd_json(path, port, keys):
    for line in open(path):
        r = json.loads(line)
        if str(r.get("L4_SRC_PORT")) == port:
            print(" ".join(str(r.get(k, "-")) for k in keys))
            return
    print(" ".join("-" for _ in keys))

def ipfix_records(export, port):
    """tshark's -V text of the IPFIX data records whose source port is port."""
    out = tshark(["-o", "cflow.max_template_fields:128", "-r", export, "-d", "udp.port==4739,cflow",
                  "-V", "-O", "cflow"])
    recs, cur = [], None
    for line in out.splitlines():
        s = line.strip()
        if s.startswith("Flow ") and s[5:].split()[0].isdigit():
            cur = []
            recs.append(cur)
        elif cur is not None:
            cur.append(s)
    return [r for r in recs if "SrcPort: %s" % port in r]  # the forward direction's port

def cmd_ipfix_dns(export, port):
    """nProbe's DNS elements (PEN 35632), as tshark names them, of the record of port."""
    labels = ["DNS query: ", "DNS query type: ", "DNS query transaction Id: ", "DNS return code: ",
              "DNS # of returned answers: "]
    for r in ipfix_records(export, port):
        vals = {}
        for s in r:
            for l in labels:
                if s.startswith(l):
                    vals[l] = s[len(l):]
        if vals:
            print(" ".join(vals.get(l, "-") for l in labels))
            return
    print("- - - - -")

def cmd_ipfix_tls(export, port):
    """SNI (2201), ALPN (2202), versions (2203), JA4 (2204): strings of PEN 32473, from tshark's
    PDML (its text view cuts long values)."""
    import xml.etree.ElementTree as ET
    out = tshark(["-o", "cflow.max_template_fields:128", "-r", export, "-d", "udp.port==4739,cflow",
                  "-T", "pdml"])
    vals = {}
    for rec in ET.fromstring(out).iter("field"):
        kids = list(rec)
        if not any(k.get("name") == "cflow.srcport" and k.get("show") == port for k in kids):
            continue
        for k in kids:
            sn = k.get("showname") or ""
            if k.get("name") == "cflow.enterprise_private_entry" and "Type 220" in sn:
                t = int(sn.split("Type ")[1].split(":")[0])
                vals[t] = bytes.fromhex(k.get("value")).decode()
    print(" ".join(vals.get(t) or "-" for t in (2201, 2202, 2203, 2204)))

# ---- a crafted capture ----------------------------------------------------------

def cmd_rtt_capture(path):
    """SYN at 0, SYN-ACK at 12.345678 ms, ACK at 20.000001 ms (the ACK 7.654323 ms after),
    then data and FIN both ways: nanosecond pcap times, so the replay knows them exactly."""
    from decimal import Decimal
    from scapy.all import Ether, IP, TCP, Raw, wrpcap
    t0 = 1700000000
    c, s = dict(src="198.18.0.1", dst="198.18.0.2"), dict(src="198.18.0.2", dst="198.18.0.1")
    e = dict(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
    pk = [
        (0, Ether(**e) / IP(**c) / TCP(sport=41000, dport=80, flags="S", seq=1000)),
        (12345678, Ether(**e) / IP(**s) / TCP(sport=80, dport=41000, flags="SA", seq=5000, ack=1001)),
        (20000001, Ether(**e) / IP(**c) / TCP(sport=41000, dport=80, flags="A", seq=1001, ack=5001)),
        (21000000, Ether(**e) / IP(**c) / TCP(sport=41000, dport=80, flags="PA", seq=1001, ack=5001) / Raw(b"x" * 10)),
        (22000000, Ether(**e) / IP(**s) / TCP(sport=80, dport=41000, flags="FA", seq=5001, ack=1011)),
        (23000000, Ether(**e) / IP(**c) / TCP(sport=41000, dport=80, flags="FA", seq=1011, ack=5002)),
    ]
    out = []
    for ns, p in pk:
        p.time = Decimal(t0) + Decimal(ns) / Decimal(10 ** 9)  # a float would round
        out.append(p)
    wrpcap(path, out, nano=True)

def main():
    a = sys.argv[1:]
    cmds = {"dns": lambda: cmd_dns(a[1]), "tls": lambda: cmd_tls(a[1]),
            "json": lambda: cmd_json(a[1], a[2], a[3:]), "ipfix-dns": lambda: cmd_ipfix_dns(a[1], a[2]),
            "ipfix-tls": lambda: cmd_ipfix_tls(a[1], a[2]), "rtt-capture": lambda: cmd_rtt_capture(a[1])}
    if not a or a[0] not in cmds:
        sys.exit(__doc__)
    cmds[a[0]]()

if __name__ == "__main__":
    main()
