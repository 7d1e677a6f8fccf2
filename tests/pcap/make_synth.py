#!/usr/bin/python3
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
"""make_synth.py - write small synthetic captures for cases the corpus lacks.

    make_synth.py OUTDIR

Writes OUTDIR/synth-*.pcap (classic pcap, microsecond times) and prints
their names, and OUTDIR/expected-rules.json: for each file, how many of
its packets each counting rule of compare.py (RULES) must apply to, by
construction (absent: 0). Deterministic, standard library only. Each file
is checked by test_pcaps.sh like the corpus files (tshark decides the
keys, packets, bytes and flags); the rule counts say that every rule
places exactly the packets crafted for it, so the err_* and frag_no_first
counters are checked per reason against what was crafted here.

  synth-linktypes-*.pcap   the same IPv4/IPv6 TCP, UDP, ICMP, UDP-Lite, DCCP
                           and SCTP packets in every link type linktype.c
                           converts (raw IP, IPv4, IPv6, BSD NULL/LOOP with
                           every AF_INET6 value and both byte orders, Linux
                           SLL/SLL2 (one VLAN tag too), NFLOG, PPP, Cisco
                           HDLC), plus frames without IP
  synth-qinq-ipv6.pcap     802.1ad + 802.1Q + IPv6 + hop-by-hop + TCP/UDP
  synth-ipv6-ah.pcap       IPv6 AH (non-zero length) before TCP and ICMPv6
  synth-ipv6-frag-ext.pcap IPv6 fragments whose fragmentable part starts
                           with a destination options header
  synth-short-l4.pcap      IP packets whose length field ends inside the
                           L4 header, Ethernet padding or a trailer after
                           them (and an RFC 1858 tiny first fragment)
  synth-metrics.pcap       TTL, length, TOS, flow label and IAT values, a
                           TCP handshake with window scaling, a gap, an
                           out-of-order and a resent segment, and one case
                           for each rule of metrics.py
  synth-rules-*.pcap       one file per group of counting rules: link
                           layers the parser does not walk, too many VLAN
                           tags, bad IPv4/IPv6 headers and lengths, IPv6
                           extension chains, cut L4 headers, fragments
                           with and without their first
"""

import json
import os
import struct
import sys

T0 = 1700000000
MAC_A = bytes.fromhex('020000000a01')
MAC_B = bytes.fromhex('020000000a02')
V4_A, V4_B = bytes([192, 0, 2, 1]), bytes([198, 51, 100, 2])
V6_A = bytes.fromhex('20010db8000000000000000000000001')
V6_B = bytes.fromhex('20010db8000000000000000000000002')


class Cut(bytes):
    """A frame the capture cut short: only the first `keep` bytes are written."""

    def __new__(cls, data, keep):
        obj = super().__new__(cls, data)
        obj.keep = keep
        return obj


def pcap(path, linktype, frames):
    """frames: (time offset in us, bytes or Cut); snaplen 65535."""
    with open(path, 'wb') as fh:
        fh.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, linktype))
        for us, data in frames:
            kept = data[:data.keep] if isinstance(data, Cut) else data
            fh.write(struct.pack('<IIII', T0 + us // 1000000, us % 1000000,
                                 len(kept), len(data)))
            fh.write(kept)


def eth(payload, ethertype, tags=()):
    """Ethernet header, VLAN tags given as (tpid, vid), padded to 60 bytes."""
    h = MAC_B + MAC_A
    for tpid, vid in tags:
        h += struct.pack('!HH', tpid, vid)
    f = h + struct.pack('!H', ethertype) + payload
    return f + bytes(max(0, 60 - len(f)))


def ipv4(proto, payload, ident=1, frag=0, tot=None, src=V4_A, dst=V4_B, ttl=64, tos=0):
    tot = 20 + len(payload) if tot is None else tot
    return struct.pack('!BBHHHBBH4s4s', 0x45, tos, tot, ident, frag, ttl, proto, 0,
                       src, dst) + payload


def ipv6(nh, payload, plen=None, src=V6_A, dst=V6_B, hlim=64, tclass=0, label=0):
    plen = len(payload) if plen is None else plen
    return struct.pack('!IHBB16s16s', (6 << 28) | (tclass << 20) | label, plen, nh, hlim,
                       src, dst) + payload


def tcp(sport, dport, flags, data=b''):
    return struct.pack('!HHIIBBHHH', sport, dport, 1000, 0, 5 << 4, flags, 65535, 0,
                       0) + data


def udp(sport, dport, data=b''):
    return struct.pack('!HHHH', sport, dport, 8 + len(data), 0) + data


def dccp(sport, dport):
    """RFC 4340: a Request with a 48-bit sequence number and a service code."""
    return struct.pack('!HHBBHBBHIH', sport, dport, 5, 0, 0, 0x01, 0, 0, 1, 0) + bytes(4)


def sctp_init(sport, dport):
    """RFC 9260: common header and one INIT chunk."""
    return (struct.pack('!HHII', sport, dport, 0, 0) +
            struct.pack('!BBHIIHHI', 1, 0, 20, 0x1234, 65536, 1, 1, 100))


def icmp(typ, code, data=b''):
    return struct.pack('!BBHI', typ, code, 0, 0x00010001) + data


def ext(nh, body_len=6):
    """Hop-by-hop/destination options: PadN filling (1 + len) * 8 bytes."""
    n = body_len + 2
    assert n % 8 == 0
    return struct.pack('!BB', nh, n // 8 - 1) + bytes([1, body_len - 2]) + bytes(body_len - 2)


def ah(nh, words):
    """RFC 4302: payload length in 32-bit words minus 2; SPI, sequence, ICV."""
    icv = bytes(4 * words - 12)
    return struct.pack('!BBHII', nh, words - 2, 0, 0x100, 1) + icv


def frag6(nh, offset, more, ident):
    return struct.pack('!BBHI', nh, 0, (offset << 3) | more, ident)


def ip_packets():
    """A few IPv4/IPv6 packets: TCP both ways, UDP, ICMP echo, ICMPv6 echo."""
    return [
        ipv4(6, tcp(40000, 80, 0x02)),
        ipv4(6, tcp(80, 40000, 0x12), src=V4_B, dst=V4_A),
        ipv4(6, tcp(40000, 80, 0x18, b'GET / HTTP/1.0\r\n\r\n')),
        ipv4(17, udp(5353, 53, b'\x12\x34' + bytes(30))),
        ipv4(1, icmp(8, 0, bytes(16))),
        ipv4(136, udp(7000, 7001, bytes(12))),         # UDP-Lite: same header
        ipv4(33, dccp(40100, 5001)),
        ipv4(132, sctp_init(40200, 2905)),
        ipv6(6, tcp(40001, 443, 0x02)),
        ipv6(17, udp(5000, 6000, bytes(100))),
        ipv6(58, icmp(128, 0, bytes(8))),
    ]


def linktype_files(out):
    pk = ip_packets()
    v4 = [p for p in pk if p[0] >> 4 == 4]
    v6 = [p for p in pk if p[0] >> 4 == 6]
    arp = bytes.fromhex('0001080006040001') + MAC_A + V4_A + bytes(6) + V4_B

    def frames(items):
        return [(i * 1000 + 7, f) for i, f in enumerate(items)]

    def sll(proto, p, hatype=1):
        return struct.pack('!HHH8sH', 0, hatype, 6, MAC_A + bytes(2), proto) + p

    def sll2(proto, p, hatype=1):
        return struct.pack('!HHIHBB8s', proto, 0, 2, hatype, 4, 6, MAC_A + bytes(2)) + p

    def nflog(family, p):
        def tlv(t, v):
            n = 4 + len(v)
            return struct.pack('<HH', n, t) + v + bytes((-n) % 4)
        hw = 0x0800 if family == 2 else 0x86dd
        return (struct.pack('!BBH', family, 0, 7) + tlv(1, struct.pack('!HBB', hw, 3, 0)) +
                tlv(10, b'synth\x00') + tlv(9, p))

    def ethertype(p):
        return 0x0800 if p[0] >> 4 == 4 else 0x86dd

    files = {
        'raw': (101, pk),
        'ipv4': (228, v4),
        'ipv6': (229, v6),
        'null-le': (0, [struct.pack('<I', 2) + p for p in v4] +
                    [struct.pack('<I', af) + p for af in (24, 28, 30) for p in v6]),
        'null-be': (0, [struct.pack('>I', 2) + p for p in v4] +
                    [struct.pack('>I', af) + p for af in (24, 28, 30) for p in v6]),
        'loop': (108, [struct.pack('>I', 2) + p for p in v4] +
                 [struct.pack('>I', 24) + p for p in v6]),
        'sll': (113, [sll(ethertype(p), p) for p in pk] + [sll(0x0806, arp)] +
                [sll(0x8100, struct.pack('!HH', 42, ethertype(p)) + p) for p in pk[:2]]),
        'sll2': (276, [sll2(ethertype(p), p) for p in pk] + [sll2(0x0806, arp)]),
        'nflog': (239, [nflog(2, p) for p in v4] + [nflog(10, p) for p in v6]),
        'ppp': (9, [b'\xff\x03\x00\x21' + p for p in v4] +
                [b'\xff\x03\x00\x57' + p for p in v6] + [b'\xff\x03\xc0\x21' + bytes(8)]),
        'chdlc': (104, [b'\x0f\x00' + struct.pack('!H', ethertype(p)) + p for p in pk]),
    }
    names = []
    for name, (lt, items) in files.items():
        path = os.path.join(out, 'synth-linktypes-%s.pcap' % name)
        pcap(path, lt, frames(items))
        names.append(path)
    return names


def qinq_ipv6(out):
    tags = ((0x88a8, 100), (0x8100, 200))
    items = [
        eth(ipv6(0, ext(6) + tcp(40002, 22, 0x02)), 0x86dd, tags),
        eth(ipv6(0, ext(6) + tcp(22, 40002, 0x12), src=V6_B, dst=V6_A), 0x86dd, tags),
        eth(ipv6(0, ext(17) + udp(40003, 53, bytes(20))), 0x86dd, tags),
        eth(ipv6(6, tcp(40002, 22, 0x10)), 0x86dd, tags[1:]),
    ]
    path = os.path.join(out, 'synth-qinq-ipv6.pcap')
    pcap(path, 1, [(i * 100, f) for i, f in enumerate(items)])
    return [path]


def ipv6_ah(out):
    items = [
        eth(ipv6(51, ah(6, 6) + tcp(40004, 8080, 0x02)), 0x86dd),
        eth(ipv6(51, ah(6, 6) + tcp(40004, 8080, 0x18, b'hello')), 0x86dd),
        eth(ipv6(60, ext(51) + ah(58, 4) + icmp(128, 0, bytes(8))), 0x86dd),
    ]
    path = os.path.join(out, 'synth-ipv6-ah.pcap')
    pcap(path, 1, [(i * 100, f) for i, f in enumerate(items)])
    return [path]


def ipv6_frag_ext(out):
    # one UDP datagram: fragment header, then (fragmentable part)
    # destination options, UDP header and 48 bytes of data, cut in 2
    body = ext(17) + udp(40005, 4500, bytes(48))
    first, rest = body[:32], body[32:]
    items = [
        eth(ipv6(44, frag6(60, 0, 1, 0x1234) + first), 0x86dd),
        eth(ipv6(44, frag6(60, 4, 0, 0x1234) + rest), 0x86dd),
        # the same with the fragment header behind a hop-by-hop header
        eth(ipv6(0, ext(44) + frag6(60, 0, 1, 0x1235) + first), 0x86dd),
        eth(ipv6(0, ext(44) + frag6(60, 4, 0, 0x1235) + rest), 0x86dd),
    ]
    path = os.path.join(out, 'synth-ipv6-frag-ext.pcap')
    pcap(path, 1, [(i * 100, f) for i, f in enumerate(items)])
    return [path]


def short_l4(out):
    # IP length fields that end inside the L4 header, then Ethernet padding
    # (zeros) or a trailer (bytes that are not part of the IP packet)
    trailer = bytes([0x50, 0x12, 0xff, 0xff]) + bytes(12)    # doff 5, SYN+ACK
    items = [
        eth(ipv4(17, udp(40006, 53)[:2]), 0x0800),             # 2 of 8 UDP bytes
        eth(ipv4(17, udp(40007, 53)[:4]), 0x0800),             # 4 of 8 UDP bytes
        eth(ipv4(6, tcp(40008, 80, 0x02)[:12]) + trailer, 0x0800),    # 12 of 20 TCP
        eth(ipv4(6, tcp(40009, 80, 0x02)[:8], frag=0x2000), 0x0800),   # tiny first fragment
        eth(ipv4(6, bytes(16), frag=0x0001), 0x0800),          # ... and the rest
        eth(ipv4(17, udp(40010, 53, b'ok')), 0x0800),          # a good one
    ]
    path = os.path.join(out, 'synth-short-l4.pcap')
    pcap(path, 1, [(i * 100, f) for i, f in enumerate(items)])
    return [path]


def mpls(payload):
    """One MPLS label (bottom of stack), then the packet."""
    return struct.pack('!I', (16 << 12) | (1 << 8) | 64) + payload


def pppoe(payload):
    """PPPoE session (RFC 2516) carrying PPP protocol 0x0021 (IPv4)."""
    ppp = struct.pack('!H', 0x0021) + payload
    return struct.pack('!BBHH', 0x11, 0, 0x1234, len(ppp)) + ppp


def tcp_doff(sport, dport, flags, doff, opts=b''):
    return struct.pack('!HHIIBBHHH', sport, dport, 1000, 0, doff << 4, flags, 65535, 0,
                       0) + opts


def tcp2(sport, dport, seq, ack, flags, win, opts=b'', data=b''):
    """TCP with its sequence, acknowledgement, window and options (padded)."""
    opts += bytes((-len(opts)) % 4)
    return struct.pack('!HHIIBBHHH', sport, dport, seq, ack, (5 + len(opts) // 4) << 4,
                       flags, win, 0, 0) + opts + data


def metrics_file(out):
    """Per-direction metrics, and one case for each rule of metrics.py."""
    syn_opts = b'\x02\x04\x05\x78\x01\x03\x03\x07'          # MSS 1400, NOP, WS 7
    synack_opts = b'\x02\x04\x05\x50\x01\x03\x03\x05'       # MSS 1360, NOP, WS 5
    a, b = 10000, 50000
    c4 = lambda seg, **kw: eth(ipv4(6, seg, **kw), 0x0800)
    back = dict(src=V4_B, dst=V4_A, ttl=50)
    items = [
        # a handshake with window scaling, then data with a gap, the
        # segment that fills it (out of order) and one sent again
        c4(tcp2(41100, 80, a, 0, 0x02, 64240, syn_opts), tos=0x10),
        c4(tcp2(80, 41100, b, a + 1, 0x12, 65160, synack_opts), **back),
        c4(tcp2(41100, 80, a + 1, b + 1, 0x10, 100), tos=0x10, ttl=63),
        c4(tcp2(41100, 80, a + 1, b + 1, 0x18, 100, data=bytes(100)), ttl=62),
        c4(tcp2(41100, 80, a + 201, b + 1, 0x18, 90, data=bytes(1460)), ttl=5),
        c4(tcp2(41100, 80, a + 101, b + 1, 0x18, 100, data=bytes(100)), ttl=1),
        c4(tcp2(41100, 80, a + 1, b + 1, 0x18, 120, data=bytes(100)), ttl=200),
        c4(tcp2(80, 41100, b + 1, a + 1661, 0x10, 200), **back),
        c4(tcp2(80, 41100, b + 1, a + 1661, 0x18, 300, data=bytes(400)), **back),
        c4(tcp2(80, 41100, b + 401, a + 1661, 0x14, 0), **back),   # RST: its window is not one
        # mid-stream, no handshake: tshark cannot scale (win-scale-unknown)
        c4(tcp2(41101, 443, 7000, 9000, 0x10, 500)),
        c4(tcp2(41101, 443, 7000, 9000, 0x18, 600, data=bytes(10))),
        # a SYN in a first fragment that ends inside its options
        # (tcp-options-cut), and the rest of it
        c4(tcp2(41102, 22, a, 0, 0x02, 64240, syn_opts)[:24], ident=9, frag=0x2000),
        c4(tcp2(41102, 22, a, 0, 0x02, 64240, syn_opts)[24:], ident=9, frag=3),
        # IPv6: traffic class, flow label, hop limits in several buckets
        eth(ipv6(17, udp(41103, 53, bytes(30)), tclass=0xb8, label=0x12345, hlim=255), 0x86dd),
        eth(ipv6(17, udp(41103, 53, bytes(300)), tclass=0, label=0x1, hlim=3), 0x86dd),
        eth(ipv6(17, udp(41103, 53, bytes(700)), hlim=100), 0x86dd),
    ]
    frames = [(i * 1000 + (i * i * 37) % 900, f) for i, f in enumerate(items)]
    # UDP with a gap of 5000 s (iat-gap-saturated), after the rest
    t = frames[-1][0] + 1000
    u = lambda: eth(ipv4(17, udp(41104, 53, bytes(10))), 0x0800)
    frames += [(t, u()), (t + 1000000, u()), (t + 5001000000, u())]
    path = os.path.join(out, 'synth-metrics.pcap')
    pcap(path, 1, frames)
    return [path], {os.path.basename(path): {
        'win-scale-unknown': 1, 'tcp-options-cut': 1, 'iat-gap-saturated': 1,
        'frag-joins-first': 1}}


def rules_files(out):
    """Packets crafted for the counting rules, with how many each rule takes."""
    udp4 = ipv4(17, udp(41000, 53, bytes(20)))
    files = {
        'l2': ([
            eth(mpls(udp4), 0x8847),                    # IP behind MPLS
            eth(mpls(ipv6(17, udp(41001, 53, bytes(20)))), 0x8847),
            eth(pppoe(udp4), 0x8864),                   # IP behind PPPoE
            eth(udp4, 0x0800, [(0x8100, v) for v in range(1, 9)]),    # 8 tags: a flow
            eth(udp4, 0x0800, [(0x8100, v) for v in range(1, 10)]),   # 9 tags: err_l2
        ], {'l2-not-walked': 3, 'l2-too-many-tags': 1}),
        'ip4': ([
            eth(b'\x44' + ipv4(17, udp(41002, 53, bytes(20)))[1:], 0x0800),   # IHL 4
            eth(ipv4(17, udp(41003, 53, bytes(20)), tot=12), 0x0800),       # length < IHL
            eth(b'\x65' + ipv4(17, udp(41004, 53, bytes(20)))[1:], 0x0800),   # version 6
            eth(ipv4(17, udp(41005, 53, bytes(20)), tot=48 + 20), 0x0800),  # beyond the frame
            eth(ipv4(17, udp(41006, 53, bytes(20))), 0x0800),               # a good one
        ], {'ip4-header': 3, 'ip4-length-beyond-frame': 1}),
        'ip6': ([
            eth(b'\x40' + ipv6(17, udp(41007, 53, bytes(20)))[1:], 0x86dd),   # version 4
            eth(ipv6(17, udp(41008, 53, bytes(20)), plen=28 + 16), 0x86dd),  # beyond the frame
            eth(ipv6(60, ext(60) * 7 + ext(17) + udp(41010, 53, bytes(8))), 0x86dd),  # 8: ok
            eth(ipv6(60, ext(60) * 8 + ext(17) + udp(41011, 53, bytes(8))), 0x86dd),  # 9
            eth(ipv6(0, ext(17, 14) + udp(41012, 53), plen=8), 0x86dd),    # HBH past plen
        ], {'ip6-header': 1, 'ip6-length-beyond-frame': 1, 'ip6-ext-cut': 2}),
        # a 16-byte hop-by-hop header the capture cuts after 8 bytes, and a
        # good packet after it (DESIGN.md: a truncated extension header
        # chain is err_ip6_ext)
        'ip6-cut': ([
            Cut(eth(ipv6(0, ext(17, 14) + udp(41013, 53, bytes(40))), 0x86dd), 14 + 40 + 8),
            eth(ipv6(0, ext(17, 14) + udp(41014, 53, bytes(40))), 0x86dd),
        ], {'ip6-ext-cut': 1}),
        'l4': ([
            eth(ipv4(6, tcp_doff(41013, 80, 0x02, 4) + bytes(8)), 0x0800),  # data offset 4
            eth(ipv4(6, tcp_doff(41014, 80, 0x02, 8, bytes(12)), tot=20 + 32 - 12) +
                bytes(12), 0x0800),                     # options cut by the IP length
            eth(ipv4(1, b'\x08\x00'), 0x0800),           # 2 bytes of ICMP
            eth(ipv6(58, b'\x80\x00'), 0x86dd),           # 2 bytes of ICMPv6
            eth(ipv4(132, sctp_init(41015, 2905)[:10]), 0x0800),   # 10 of 12 SCTP bytes
        ], {'l4-cut': 5}),
        'frag': ([
            eth(ipv4(17, bytes(40), ident=7, frag=100), 0x0800),      # later, no first
            eth(ipv6(44, frag6(17, 50, 0, 0x777) + bytes(40)), 0x86dd),   # later, no first
            eth(ipv4(17, udp(41016, 53, bytes(24)), ident=8, frag=0x2000), 0x0800),  # first
            eth(ipv4(17, bytes(32), ident=8, frag=0x2000 | 4), 0x0800),   # joins it
            eth(ipv4(17, bytes(32), ident=8, frag=8), 0x0800),             # joins it
            eth(ipv4(17, bytes(32), ident=8, frag=8, src=V4_B, dst=V4_A), 0x0800),  # other
        ], {'frag-no-first': 3, 'frag-joins-first': 2}),
    }
    names, expect = [], {}
    for name, (items, rules) in files.items():
        path = os.path.join(out, 'synth-rules-%s.pcap' % name)
        pcap(path, 1, [(i * 100, f) for i, f in enumerate(items)])
        names.append(path)
        expect[os.path.basename(path)] = rules
    return names, expect


def main(argv):
    if len(argv) != 2 or not os.path.isdir(argv[1]):
        print('usage: make_synth.py OUTDIR', file=sys.stderr)
        return 2
    out = argv[1]
    paths = (linktype_files(out) + qinq_ipv6(out) + ipv6_ah(out) + ipv6_frag_ext(out) +
             short_l4(out))
    expect = {os.path.basename(p): {} for p in paths}
    # the later fragments join their first fragment (ports, and the UDP
    # protocol behind the destination options); short-l4: three L4 headers
    # cut by the IP length, a tiny first fragment (cut too: RFC 1858 3.2)
    # and its second half, which then has no first fragment
    expect['synth-ipv6-frag-ext.pcap'] = {'frag-joins-first': 2}
    expect['synth-short-l4.pcap'] = {'l4-cut': 4, 'frag-no-first': 1}
    more, rules = rules_files(out)
    expect.update(rules)
    m, rules = metrics_file(out)
    more += m
    expect.update(rules)
    with open(os.path.join(out, 'expected-rules.json'), 'w') as fh:
        json.dump(expect, fh, indent=1, sort_keys=True)
    for path in paths + more:
        print(os.path.basename(path))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
