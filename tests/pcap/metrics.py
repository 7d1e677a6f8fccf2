#!/usr/bin/python3
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
"""metrics.py - per-direction metrics of a meter's records against tshark.

    metrics.py PCAP RECORDS.jsonl      (or: compare.py --metrics ...)

RECORDS.jsonl: "tc_flowmon_user -r PCAP -j" with no timeouts. The packets
of each direction are the ones compare.py places there (tshark's keys and
the counting rules of compare.py RULES); what each metric means is stated
in README.md, docs/DESIGN.md and man tc_flowmon_user, and the expected
value is computed here from tshark's fields of those packets:

  TTL      SRC_/DST_MIN_TTL, _MAX_TTL: ip.ttl / ipv6.hlim; the 10 buckets
           SRC_/DST_NUM_PKTS_TTL_* (0-1, 2-5, 6-32, 33-64, ..., 225-255)
  length   SRC_/DST_MIN_IP_PKT_LEN, _MAX_: the L3 length; the 6 buckets
           SRC_/DST_NUM_PKTS_*_BYTES (<128, <256, <512, <1024, <1514, >=1514)
  TOS      SRC_/DST_TOS: ip.dsfield / ipv6.tclass of the first packet
  label    SRC_/DST_FLOWLABEL: ipv6.flow of the first packet
  IAT      SRC_/DST_IAT_MIN_NS, _MAX_NS, _AVG_NS: gaps between a packet and
           the latest packet before it (0 if the capture's clock steps
           back), in arrival (file) order; _STDDEV_NS within 1 us (the
           kernel sums squared gaps in whole microseconds)
  MSS      TCP_WIN_MSS_IN/_OUT: tcp.options.mss_val of the direction's SYN
  wscale   TCP_WIN_SCALE_IN/_OUT: tcp.options.wscale.shift of its SYN
           (RFC 7323 2.3: at most 14), 0 if none
  window   TCP_WIN_MIN_IN/_OUT, _MAX_: tcp.window_size, tshark's window
           scaled by the shift of the handshake it saw (SYNs unscaled,
           RFC 7323 2.2), over the direction's segments except RSTs
  resent   RETRANSMITTED_IN/_OUT_PKTS + OOORDER_IN/_OUT_PKTS: segments
           carrying sequence space (tcp.len, +1 for SYN, +1 for FIN) whose
           tcp.seq_raw starts before the highest sequence end seen in that
           direction (RFC 1982 serial comparison): data already seen, or
           filling a gap (DESIGN.md, Metrics per direction)

Where the meter's value cannot follow tshark's on purpose, a rule of
compare.py METRIC_RULES applies (listed there, next to the counting
rules, with its reason); each application is counted.

Compared only for connections written in one record (IAT, TOS, label) or
for every direction (the rest, combined over its records). Exit 0 when all
match, 1 on a difference (one line each), 2 on a usage or tool error.
"""

import json
import math
import os
import sys
from collections import Counter, OrderedDict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare  # noqa: E402  (tshark pass, packet keys, counting rules)

# the rules where a metric does not follow tshark: compare.METRIC_RULES
METRIC_RULES = compare.METRIC_RULES

TTL_EDGES = (1, 5, 32, 64, 96, 128, 160, 192, 224, 255)     # upper bounds
TTL_KEYS = ('EQ_1', '2_5', '5_32', '32_64', '64_96', '96_128', '128_160',
            '160_192', '192_224', '224_255')
LEN_EDGES = (128, 256, 512, 1024, 1514)                     # exclusive bounds
LEN_KEYS = ('UP_TO_128_BYTES', '128_TO_256_BYTES', '256_TO_512_BYTES',
            '512_TO_1024_BYTES', '1024_TO_1514_BYTES', 'OVER_1514_BYTES')


def ttl_bucket(t):
    for i, hi in enumerate(TTL_EDGES):
        if t <= hi:
            return i
    return len(TTL_EDGES) - 1


def len_bucket(n):
    for i, hi in enumerate(LEN_EDGES):
        if n < hi:
            return i
    return len(LEN_EDGES)


class Truth:
    """One direction from tshark's fields."""

    def __init__(self):
        self.n = 0
        self.ttl = []
        self.lens = []
        self.tos = self.label = None
        self.times = []
        self.mss = 0
        self.wscale = None
        self.wins = []
        self.win_unknown = False
        self.resent = 0
        self.seq_end = None
        self.opts_cut = 0


def truths(pkts, j):
    out = OrderedDict()
    for p in pkts:
        x = compare.judge_packet(j, p)
        if x is None:
            continue
        d = out.setdefault(x.key, Truth())
        v6 = x.key[0] == '6'
        k = x.ipk
        d.n += 1
        d.ttl.append(int(p['ipv6.hlim' if v6 else 'ip.ttl'][k]))
        d.lens.append(x.l3)
        if d.tos is None:
            d.tos = int(p['ipv6.tclass' if v6 else 'ip.dsfield'][k], 16)
            d.label = int(p['ipv6.flow'][k], 16) if v6 else 0
        d.times.append(x.t)
        e = x.tcpe
        if e is None:
            continue
        fl = x.flags
        syn, fin, rst = fl & 0x02, fl & 0x01, fl & 0x04
        doff = int(compare.nth(p, 'tcp.hdr_len', e))
        # TCP bytes in the packet: captured and within the IP length
        have = (x.avail if x.avail is not None else x.l3) - x.l3hdr
        if syn and doff > 20 and have < doff:
            d.opts_cut += 1     # rule tcp-options-cut: the meter reads none
        elif syn:
            mss = compare.nth(p, 'tcp.options.mss_val', e)
            if mss is not None and int(mss):
                d.mss = int(mss)
            ws = compare.nth(p, 'tcp.options.wscale.shift', e)
            if ws is not None:
                d.wscale = min(int(ws), 14)
        if not rst:
            sf = compare.nth(p, 'tcp.window_size_scalefactor', e)
            if not syn and sf == '-1':
                d.win_unknown = True
            d.wins.append(int(compare.nth(p, 'tcp.window_size', e)))
        seqlen = int(compare.nth(p, 'tcp.len', e) or 0) + (1 if syn else 0) + (1 if fin else 0)
        if seqlen:
            seq = int(compare.nth(p, 'tcp.seq_raw', e))
            end = (seq + seqlen) & 0xffffffff
            if d.seq_end is not None and before(seq, d.seq_end):
                d.resent += 1
            if d.seq_end is None or before(d.seq_end, end):
                d.seq_end = end
    return out


def before(a, b):
    """RFC 1982: does sequence number a come before b?"""
    return a != b and ((b - a) & 0xffffffff) < 0x80000000


def iat(times):
    """min, max, mean, stddev (ns) of the gaps as the meter defines them."""
    gaps, last = [], times[0]
    for t in times[1:]:
        gaps.append(max(t - last, 0) * 10**9)
        last = max(last, t)
    gaps = [int(g) for g in gaps]
    n = len(gaps)
    mean = int((max(times) - times[0]) * 10**9) // n if max(times) >= times[0] else 0
    m = sum(gaps) / n
    sd = math.sqrt(max(sum(g * g for g in gaps) / n - m * m, 0))
    return min(gaps), max(gaps), mean, sd


def side(rec, fwd):
    """The metrics of one direction of a record. A direction with packets
    must carry every key (TCP's only for TCP): a key renamed or dropped from
    the JSON is a difference, not a zero that happens to match."""
    s, io = ('SRC_', 'IN') if fwd else ('DST_', 'OUT')
    sent = int(rec.get('IN_PKTS' if fwd else 'OUT_PKTS', 0))
    tcp = int(rec.get('PROTOCOL', 0)) == 6

    def g(k):
        if k not in rec and sent and (tcp or not k.startswith(('TCP_', 'RETRANS', 'OOORDER'))):
            raise KeyError(k)
        return int(rec.get(k, 0))
    return dict(
        pkts=g('IN_PKTS' if fwd else 'OUT_PKTS'),
        ttl=(g(s + 'MIN_TTL'), g(s + 'MAX_TTL')),
        ttlh=[g(s + 'NUM_PKTS_TTL_' + k) for k in TTL_KEYS],
        len=(g(s + 'MIN_IP_PKT_LEN'), g(s + 'MAX_IP_PKT_LEN')),
        lenh=[g(s + 'NUM_PKTS_' + k) for k in LEN_KEYS],
        tos=g(s + 'TOS'), label=g(s + 'FLOWLABEL'),
        iat=(g(s + 'IAT_MIN_NS'), g(s + 'IAT_MAX_NS'), g(s + 'IAT_AVG_NS'),
             g(s + 'IAT_STDDEV_NS')),
        mss=g('TCP_WIN_MSS_' + io), wscale=g('TCP_WIN_SCALE_' + io),
        win=(g('TCP_WIN_MIN_' + io), g('TCP_WIN_MAX_' + io)),
        resent=g('RETRANSMITTED_%s_PKTS' % io) + g('OOORDER_%s_PKTS' % io),
        start=g('FLOW_START_MILLISECONDS'))


def check(pkts, records):
    """(differences, metric rules applied, directions compared)."""
    j = compare.Judge()
    want = truths(pkts, j)
    got = OrderedDict()         # direction key -> [side, ...] in record order
    with open(records) as fh:
        for line in fh:
            rec = json.loads(line)
            fwd, rev = compare.directions(rec)
            for key, is_fwd in ((fwd, True), (rev, False)):
                try:
                    sd = side(rec, is_fwd)
                except KeyError as e:
                    return ['%s: record without %s' % (','.join(key), e)], Counter(), 0
                if sd['pkts']:
                    got.setdefault(key, []).append(sd)
    errs, rules, n = [], Counter(), 0
    for key, t in want.items():
        name = ','.join(key)
        sides = got.get(key)
        if not sides:
            continue            # compare.py reports the missing direction
        n += 1
        bad = []

        def cmp(what, g, w):
            if g != w:
                bad.append('%s %s, tshark %s' % (what, g, w))
        one = len(sides) == 1
        cmp('TTL min/max', (min(s['ttl'][0] for s in sides), max(s['ttl'][1] for s in sides)),
            (min(t.ttl), max(t.ttl)))
        hist = [0] * len(TTL_KEYS)
        for v in t.ttl:
            hist[ttl_bucket(v)] += 1
        cmp('TTL buckets', [sum(x) for x in zip(*(s['ttlh'] for s in sides))], hist)
        cmp('length min/max', (min(s['len'][0] for s in sides),
                               max(s['len'][1] for s in sides)), (min(t.lens), max(t.lens)))
        hist = [0] * len(LEN_KEYS)
        for v in t.lens:
            hist[len_bucket(v)] += 1
        cmp('length buckets', [sum(x) for x in zip(*(s['lenh'] for s in sides))], hist)
        first = min(sides, key=lambda s: s['start'])
        cmp('TOS', first['tos'], t.tos)
        cmp('flow label', first['label'], t.label)
        if one and t.n >= 2:
            mn, mx, avg, sd = iat(t.times)
            g = sides[0]['iat']
            cmp('IAT min/max/avg ns', g[:3], (mn, mx, avg))
            if mx >= (1 << 32) * 1000:
                rules['iat-gap-saturated'] += 1
            elif abs(g[3] - sd) > 1000:
                bad.append('IAT stddev %d ns, tshark %.0f (+-1000)' % (g[3], sd))
        if key[1] == '6':
            if t.opts_cut:
                rules['tcp-options-cut'] += 1
            # the SYN's options are in the record that has the SYN
            cmp('MSS', max(s['mss'] for s in sides), t.mss)
            cmp('window scale', max(s['wscale'] for s in sides), t.wscale or 0)
            if t.wins and one:
                if t.win_unknown:
                    rules['win-scale-unknown'] += 1
                else:
                    cmp('window min/max', sides[0]['win'], (min(t.wins), max(t.wins)))
            cmp('retransmitted + out-of-order segments', sum(s['resent'] for s in sides),
                t.resent)
        if bad:
            errs.append('%s: %s' % (name, '; '.join(bad)))
    return errs, rules, n


def main(argv):
    args = argv[1:]
    if len(args) != 2:
        compare.die('usage: metrics.py PCAP RECORDS.jsonl')
    errs, rules, n = check(compare.tshark_packets(args[0]), args[1])
    print('%d directions compared' % n)
    for rid, c in rules.items():
        print('metric rule %s: %d direction(s)' % (rid, c))
    if errs:
        print('\n'.join(errs))
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
