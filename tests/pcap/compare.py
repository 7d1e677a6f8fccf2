#!/usr/bin/python3
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
"""compare.py - check replay_dump's flow table against tshark, per unidirectional 5-tuple.

    compare.py PCAP DUMP.csv ORACLE.csv [COUNTERS.txt]

ORACLE.csv is the output of shared/refkit/tshark_flows.sh for PCAP, DUMP.csv
that of replay_dump, COUNTERS.txt its stderr (the "counters:" line).

How: one tshark pass over PCAP gives per-packet fields. From them the
oracle's own rules (tshark_flows.sh's awk) are replayed and must give
ORACLE.csv exactly: this proves the pass reads what the oracle reads. Then
each packet is keyed again with the monitor's rules where they deliberately
differ from the oracle (model_packet: each rule says why), always from
tshark's fields and never from the monitor's output, and the resulting
table must equal DUMP.csv: packets and l3_bytes exactly, first/last to
1 us, TCP flags exactly; the err_* and frag_no_first counters must match
the packets the model puts there. Standard library only; run it with
Debian's /usr/bin/python3.

Exit 0 when everything matches, 1 on a difference (one line each on
stdout), 2 on a usage or tool error.

Optional switches (anywhere on the command line; without them the
behaviour above is unchanged):

    --no-times   do not compare first/last: for tables that do not carry
                 per-direction times (tests/offline/json_uniflows.py sums
                 tc_flowmon_user's JSON records, which hold only the
                 merged record's start and end in milliseconds)
"""

import csv
import ipaddress
import subprocess
import sys
from collections import Counter, OrderedDict
from decimal import Decimal

FIELDS = [
    'frame.number', 'frame.time_epoch', 'frame.len', 'frame.cap_len',
    'frame.protocols', 'ip.proto', 'ipv6.nxt', 'ip.src', 'ipv6.src',
    'ip.dst', 'ipv6.dst', 'ip.len', 'ipv6.plen',
    'tcp.srcport', 'tcp.dstport', 'udp.srcport', 'udp.dstport', 'tcp.flags',
    'tcp.hdr_len', 'icmp.type', 'icmp.code', 'icmpv6.type', 'icmpv6.code',
    'sctp.srcport', 'sctp.dstport', 'dccp.srcport', 'dccp.dstport', 'ip.id',
    'ip.flags.mf', 'ip.frag_offset', 'ip.hdr_len', 'ipv6.fraghdr.nxt',
    'ipv6.fraghdr.offset', 'ipv6.fraghdr.more', 'ipv6.fraghdr.ident',
    'ipv6.hopopts.nxt', 'ipv6.routing.nxt', 'ipv6.dstopts.nxt',
    'ah.next_header', 'ipv6.hopopts.len', 'ipv6.routing.len',
    'ipv6.dstopts.len', 'ah.length', 'sll.ifindex', '_ws.short',
    '_ws.malformed',
]

# Link-layer protocols (tshark names) the monitor's parser walks or that
# linktype.c strips, with their length. Anything else before the first IP
# header (MPLS, PPPoE, LLC, ...) hides the packet from the monitor.
L2_LEN = {'eth': 14, 'ethertype': 0, 'vlan': 4, 'ieee8021ad': 4, 'null': 4,
          'loop': 4, 'raw': 0, 'sll': None, 'nflog': None, 'ppp': None,
          'chdlc': 4}

# IPv6 extension headers the monitor walks (parse.bpf.h ip6_is_ext), with
# tshark's layer name and next-header field.
IP6_EXT = {0: ('ipv6.hopopts', 'ipv6.hopopts.nxt'),
           43: ('ipv6.routing', 'ipv6.routing.nxt'),
           60: ('ipv6.dstopts', 'ipv6.dstopts.nxt'),
           44: ('ipv6.fraghdr', 'ipv6.fraghdr.nxt'),
           51: ('ah', 'ah.next_header')}
IP6_EXT_MAX = 8             # config.bpf.h IPV6_EXT_MAX
IP6_EXT_BYTES_MAX = 512     # parse_ipv6: longer chains are an error

# L4 headers the monitor reads, by IP protocol: tshark layer, port fields
# (ICMP: type and code) and the bytes the parser needs (parse_l4).
L4 = {6: ('tcp', 'tcp.srcport', 'tcp.dstport', 20),
      17: ('udp', 'udp.srcport', 'udp.dstport', 8),
      136: ('udplite', 'udp.srcport', 'udp.dstport', 8),
      132: ('sctp', 'sctp.srcport', 'sctp.dstport', 12),
      33: ('dccp', 'dccp.srcport', 'dccp.dstport', 12),
      1: ('icmp', 'icmp.type', 'icmp.code', 4),
      58: ('icmpv6', 'icmpv6.type', 'icmpv6.code', 4)}
# tshark layers that fill the same fields (UDP-Lite uses udp.*)
SAME_FIELDS = {'udp': ('udp', 'udplite'), 'udplite': ('udp', 'udplite')}

# tshark's short names of the headers the monitor's parser reads, as they
# appear in "[Malformed Packet: X]" / "[Packet size limited during capture:
# X truncated]" (looked at only where the link-layer length is unknown).
PARSED_LAYERS = {'IPv4', 'IPv6', 'IPv6 Hop-by-Hop', 'IPv6 Routing',
                 'IPv6 Destination', 'IPv6 Fragment', 'AH', 'TCP', 'UDP',
                 'SCTP', 'DCCP', 'ICMP', 'ICMPv6'}

ONE_US = Decimal('0.000001')


def die(msg):
    print('compare.py: ' + msg, file=sys.stderr)
    sys.exit(2)


def tshark_packets(pcap):
    """Per-packet fields of every frame the oracle looks at ("ip or ipv6")."""
    cmd = ['tshark', '-n', '-r', pcap, '-o', 'ip.defragment:FALSE',
           '-o', 'ipv6.defragment:FALSE', '-Y', 'ip or ipv6', '-T', 'fields',
           '-E', 'separator=/t', '-E', 'occurrence=a', '-E', 'aggregator=|',
           '-E', 'quote=n']
    for f in FIELDS:
        cmd += ['-e', f]
    try:
        # like tshark_flows.sh (whose pipeline status is awk's), a file cut
        # short still gives the packets before the cut
        out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                             universal_newlines=True).stdout
    except OSError as e:
        die('failed to run tshark on %s: %s' % (pcap, e))
    pkts = []
    for line in out.splitlines():
        vals = line.split('\t')
        if len(vals) != len(FIELDS):
            die('failed to parse tshark line: %r' % line)
        pkts.append({f: (v.split('|') if v else []) for f, v in zip(FIELDS, vals)})
    return pkts


def first(p, field):
    """First occurrence, what tshark -E occurrence=f prints ('' if none)."""
    return p[field][0] if p[field] else ''


def nth(p, field, n):
    """Occurrence n of a field, None if tshark did not get that far."""
    return p[field][n] if len(p[field]) > n else None


def awk_num(s):
    """awk's string-to-number for these fields: leading digits, else 0."""
    digits = ''
    for ch in s:
        if not ch.isdigit():
            break
        digits += ch
    return int(digits) if digits else 0


def is_true(v):
    return v in ('1', 'True', 'true')


def addr(a):
    return ipaddress.ip_address(a).compressed


def epoch(s):
    return Decimal(s) if s else Decimal(0)     # no timestamp: awk's 0


class Flow:
    def __init__(self, t):
        self.packets = 0
        self.l3 = 0
        self.first = t
        self.last = t
        self.flags = 0


# ---------------------------------------------------------------------------
# The oracle: tshark_flows.sh's awk, rule for rule, on the same fields.
# ---------------------------------------------------------------------------

def oracle_key(p):
    ver = 6 if first(p, 'ipv6.src') else 4
    proto = first(p, 'ip.proto') if ver == 4 else first(p, 'ipv6.nxt')
    if ver == 6:
        for f, n in (('tcp.srcport', '6'), ('udp.srcport', '17'),
                     ('icmpv6.type', '58'), ('sctp.srcport', '132')):
            if first(p, f):
                proto = n
                break
    src = first(p, 'ip.src' if ver == 4 else 'ipv6.src')
    dst = first(p, 'ip.dst' if ver == 4 else 'ipv6.dst')
    l3 = awk_num(first(p, 'ip.len')) if ver == 4 else awk_num(first(p, 'ipv6.plen')) + 40
    sp, dp, fl = '0', '0', 0
    if first(p, 'tcp.srcport'):
        sp, dp = first(p, 'tcp.srcport'), first(p, 'tcp.dstport')
        fl = int(first(p, 'tcp.flags') or '0', 16)
    elif first(p, 'udp.srcport'):
        sp, dp = first(p, 'udp.srcport'), first(p, 'udp.dstport')
    elif first(p, 'icmp.type'):
        dp = str(awk_num(first(p, 'icmp.type')) * 256 + awk_num(first(p, 'icmp.code')))
    elif first(p, 'icmpv6.type'):
        dp = str(awk_num(first(p, 'icmpv6.type')) * 256 + awk_num(first(p, 'icmpv6.code')))
    elif first(p, 'sctp.srcport'):
        sp, dp = first(p, 'sctp.srcport'), first(p, 'sctp.dstport')
    return (str(ver), proto, src, sp, dst, dp), l3, fl


def oracle_table(pkts):
    table = OrderedDict()
    for p in pkts:
        key, l3, fl = oracle_key(p)
        t = epoch(first(p, 'frame.time_epoch'))
        f = table.setdefault(key, Flow(t))
        f.packets += 1
        f.l3 += l3
        f.last = t          # awk: the last packet in file order
        f.flags |= fl
    return table


def check_oracle(table, path):
    """The emulation must reproduce tshark_flows.sh's CSV exactly."""
    errs = []
    seen = set()
    with open(path, newline='') as fh:
        for row in csv.DictReader(fh):
            key = (row['ipver'], row['proto'], row['src'], row['sport'],
                   row['dst'], row['dport'])
            seen.add(key)
            f = table.get(key)
            if f is None:
                errs.append('oracle flow %s not reproduced' % ','.join(key))
                continue
            mine = (f.packets, f.l3, '%.6f' % float(f.first), '%.6f' % float(f.last),
                    '0x%02x' % f.flags)
            theirs = (int(row['packets']), int(row['l3_bytes']), row['first'],
                      row['last'], row['tcp_flags'])
            if mine != theirs:
                errs.append('oracle flow %s: emulated %s, tshark_flows.sh %s' %
                            (','.join(key), mine, theirs))
    for key in table:
        if key not in seen:
            errs.append('emulated flow %s not in tshark_flows.sh output' % ','.join(key))
    return errs


# ---------------------------------------------------------------------------
# The monitor's semantics, modelled from tshark's fields.
# ---------------------------------------------------------------------------

class Model:
    def __init__(self):
        self.table = OrderedDict()
        self.frags = {}         # flowmon_frags: first fragment -> its ports
        self.notes = Counter()  # packets keyed differently from the oracle, by rule
        self.errors = 0         # packets the monitor counts under err_*
        self.frag_no_first = 0
        self.unmodelled = []
        self.last_key = None

    def add(self, p, key, l3, flags):
        t = epoch(first(p, 'frame.time_epoch'))
        f = self.table.setdefault(key, Flow(t))
        f.packets += 1
        f.l3 += l3
        # Rule: last_seen only moves forward (account.bpf.h stats_add); the
        # oracle takes the last packet in file order, which differs when
        # the capture steps back in time.
        f.last = max(f.last, t)
        f.flags |= flags
        self.last_key = key

    def error(self, why):
        self.errors += 1
        return 'parse error: ' + why

    def cannot(self, p, why):
        self.unmodelled.append('frame %s: %s' % (first(p, 'frame.number'), why))
        return 'unmodelled'


def idx(protos, j):
    """Occurrence number, among fields of its layer, of the layer at protos[j]."""
    return protos[:j].count(protos[j])


def tshark_cut_layer(p):
    """Short name of the layer tshark found cut short or malformed ('' if none)."""
    for v in p['_ws.short'] + p['_ws.malformed']:
        for pre in ('[Packet size limited during capture: ', '[Malformed Packet: '):
            if v.startswith(pre):
                name = v[len(pre):].rstrip(']')
                return name[:-len(' truncated')] if name.endswith(' truncated') else name
    return ''


def l2_length(p, protos, i):
    """Bytes before the IP header in the capture, None if tshark does not say."""
    n = 0
    for x in protos[:i]:
        if x == 'sll':
            n += 20 if p['sll.ifindex'] else 16     # SLL2 has an ifindex
        elif L2_LEN.get(x) is None:
            return None
        else:
            n += L2_LEN[x]
    return n


def model_packet(m, p):
    """Key one packet as the monitor does; returns why it differs from the oracle."""
    protos = first(p, 'frame.protocols').split(':')
    i = 0
    while i < len(protos) and protos[i] in L2_LEN:
        i += 1
    if i == len(protos) or protos[i] not in ('ip', 'ipv6'):
        # Rule: the monitor parses Ethernet and 802.1Q/802.1ad tags only: IP
        # behind MPLS, PPPoE, a pseudowire... is non-IP for it (tshark digs
        # it out). An IP ethertype whose payload tshark cannot dissect as IP
        # (version 0, ...) is an IP header error for the monitor.
        if 0 < i < len(protos) and protos[i] == 'data' and protos[i - 1] == 'ethertype':
            return m.error('ethertype IP, payload not IP')
        return 'not IP for the monitor (behind %s)' % (protos[i] if i < len(protos) else '?')
    l2 = l2_length(p, protos, i)
    cap = int(first(p, 'frame.cap_len')) - l2 if l2 is not None else None
    if cap is None and tshark_cut_layer(p) in PARSED_LAYERS:
        # Link-layer length unknown (NFLOG, PPP): no way to tell whether
        # the monitor has the bytes it needs.
        return m.cannot(p, '%s cut short or malformed, link-layer length unknown'
                        % tshark_cut_layer(p))
    frame_l3 = int(first(p, 'frame.len')) - l2 if l2 is not None else None
    k = idx(protos, i)
    if protos[i] == 'ip':
        # Rules of parse_ipv4: 20 bytes, version 4, IHL >= 5 and the whole
        # IHL captured, total length >= IHL (0: TSO, the frame's length).
        ver = 4
        hlen = nth(p, 'ip.hdr_len', k)
        tot = nth(p, 'ip.len', k)
        if cap is not None and cap < 20:
            return m.error('IPv4 header cut short')
        if hlen is None or int(hlen) < 20 or (cap is not None and cap < int(hlen)):
            return m.error('IPv4 header length')
        hlen = int(hlen)
        if tot is None or nth(p, 'ip.proto', k) is None:
            return m.cannot(p, 'IPv4 header not dissected by tshark')
        l3 = int(tot)
        if l3 == 0:
            # tshark itself puts the frame's length there for TSO captures
            return m.cannot(p, 'IPv4 total length 0')
        if l3 < hlen:
            return m.error('IPv4 total length below header length')
        # Rule: a total length beyond the packet's length on the wire is an
        # IPv4 error (TC runs before ip_rcv() checks it); the replay carries the
        # whole wire length, uncapped, in cb[0].
        if frame_l3 is not None and l3 > frame_l3:
            return m.error('IPv4 total length beyond the frame')
        proto = int(p['ip.proto'][k])
        src, dst = addr(p['ip.src'][k]), addr(p['ip.dst'][k])
        mf = is_true(p['ip.flags.mf'][k])
        frag = 'later' if int(p['ip.frag_offset'][k]) else 'first' if mf else None
        fid = p['ip.id'][k]
        l3hdr = hlen
        j = i + 1
    else:
        # Rules of parse_ipv6: 40 bytes, version 6, then the extension
        # headers: 8 bytes of each must be there, at most 8 of them and 512
        # bytes; a later fragment ends the walk.
        ver = 6
        if cap is not None and cap < 40:
            return m.error('IPv6 header cut short')
        if nth(p, 'ipv6.plen', k) is None or nth(p, 'ipv6.nxt', k) is None:
            return m.cannot(p, 'IPv6 header not dissected by tshark')
        src, dst = addr(p['ipv6.src'][k]), addr(p['ipv6.dst'][k])
        plen = int(p['ipv6.plen'][k])
        l3 = plen + 40
        nh = int(p['ipv6.nxt'][k])
        if plen == 0 and nh == 0 and frame_l3 is not None and frame_l3 > 40:
            # Rule: payload length 0 with a hop-by-hop header (jumbogram,
            # BIG TCP) counts the frame's length; the oracle counts 40.
            l3 = frame_l3
        # Rule: as for IPv4, a length beyond the frame is an IPv6 error.
        if frame_l3 is not None and l3 > frame_l3:
            return m.error('IPv6 payload length beyond the frame')
        avail = min(cap, l3) if cap is not None else None
        frag, fid, j, n, l3hdr = None, None, i + 1, 0, 40
        while nh in IP6_EXT and n < IP6_EXT_MAX:
            name, nxt = IP6_EXT[nh]
            if avail is not None and avail < l3hdr + 8:
                return m.error('IPv6 extension header cut short')
            if j >= len(protos) or protos[j] != name:
                return m.cannot(p, 'IPv6 extension header %d not dissected by tshark' % nh)
            e = idx(protos, j)
            n += 1
            if nh == 44:
                l3hdr += 8
                if int(p['ipv6.fraghdr.offset'][e]):
                    frag = 'later'
                elif is_true(p['ipv6.fraghdr.more'][e]):
                    frag = 'first'      # offset 0, M=0 is atomic: no fragment
                fid = p['ipv6.fraghdr.ident'][e]
            elif nh == 51:
                l3hdr += (int(p['ah.length'][e]) + 2) * 4
            else:
                l3hdr += (int(p[name + '.len'][e]) + 1) * 8
            nh = int(p[nxt][e])
            j += 1
            if frag == 'later':
                break
        if frag != 'later' and nh in IP6_EXT:
            return m.error('more than %d IPv6 extension headers' % IP6_EXT_MAX)
        if l3hdr - 40 > IP6_EXT_BYTES_MAX:
            return m.error('IPv6 extension headers longer than %d bytes' % IP6_EXT_BYTES_MAX)
        proto = nh

    if protos[i] == 'ip':
        avail = min(cap, l3) if cap is not None else None
    # Rule: the headers after the IP header (extension headers above, L4
    # below) must lie within the IP packet: captured, and inside its length
    # field. Bytes after it (Ethernet padding, trailers) are not part of it,
    # so a header cut by the length field is cut short (err_*), as tshark
    # has it, whatever the frame holds after the packet.
    rule = None
    sport = dport = flags = 0
    # What ties fragments together: addresses, protocol and ID for IPv4
    # (RFC 791); addresses and ID for IPv6 (RFC 8200 4.5), whose first
    # fragment may go on with more extension headers before the L4 header.
    fkey = (ver, src, dst, fid, proto if ver == 4 else None)
    if frag == 'later':
        # Rule: a non-first fragment joins the flow of its first fragment
        # (same addresses, protocol and IP ID seen earlier in the file,
        # flowmon_frags); without one it keeps ports 0 (frag_no_first). The
        # oracle has no defragmentation: ports 0 always.
        if fkey in m.frags:
            proto, sport, dport = m.frags[fkey]
            if (sport, dport) != (0, 0):
                rule = 'non-first fragment joins its first fragment\'s flow'
        else:
            m.frag_no_first += 1
    elif proto in L4:
        layer, fs, fd, need = L4[proto]
        # Rule (RFC 1858 3.2 tiny fragments, RFC 7112): an L4 header cut
        # short is malformed in a first fragment as in a whole packet; the
        # later fragments then find no first fragment (frag_no_first).
        tiny = False
        if avail is not None and avail - l3hdr < need:
            return m.error('%s header cut short' % layer)
        if j >= len(protos) or protos[j] != layer:
            return m.cannot(p, '%s header not dissected by tshark' % layer)
        e = sum(protos[:j].count(x) for x in SAME_FIELDS.get(layer, (layer,)))
        if nth(p, fs, e) is None or nth(p, fd, e) is None:
            return m.cannot(p, 'no %s ports from tshark' % layer)
        sport, dport = int(p[fs][e]), int(p[fd][e])
        if tiny:
            # its TCP flags stay unread even where tshark shows them
            rule = 'first fragment cut inside the %s header keeps its ports' % layer
        elif proto == 6:
            doff = nth(p, 'tcp.hdr_len', e)
            if doff is None or int(doff) < 20:
                return m.error('TCP data offset below 5')
            # Rule: options cut by the IP length field are malformed, except
            # in a first fragment, whose fixed header still counts. (A
            # capture's snaplen cutting them is no malformation.)
            if l3 - l3hdr < int(doff) and frag != 'first':
                return m.error('TCP options cut short')
            flags = int(p['tcp.flags'][e], 16) & 0x1ff     # FIN..CWR and AE (NS)
        if proto in (1, 58):
            # replay_dump prints type/code in the oracle's convention
            sport, dport = 0, sport * 256 + dport
    if frag == 'first':
        m.frags[fkey] = (proto, sport, dport)
    m.add(p, (str(ver), str(proto), src, str(sport), dst, str(dport)), l3, flags)
    return rule


def quirk(okey, mkey):
    """Which oracle quirk keyed this packet differently (for the notes only)."""
    if okey[0] != mkey[0]:
        return 'oracle keyed the inner IP header (IP-in-IP)'
    if okey[1] != mkey[1]:
        return 'oracle took the IPv6 protocol of another layer'
    if (okey[3], okey[5]) == ('0', '0'):
        return 'oracle reads no ports for this protocol (DCCP, UDP-Lite over IPv6...)'
    if (okey[3], okey[5]) != (mkey[3], mkey[5]):
        return 'oracle took the ports of an inner or quoted L4 header'
    return 'oracle keyed it differently'


def model_table(pkts):
    m = Model()
    for p in pkts:
        m.last_key = None
        rule = model_packet(m, p)
        if rule is None and m.last_key is not None:
            okey = oracle_key(p)[0]
            okey = okey[:2] + (addr(okey[2]) if okey[2] else '', okey[3],
                               addr(okey[4]) if okey[4] else '', okey[5])
            if okey != m.last_key:
                rule = quirk(okey, m.last_key)
        if rule:
            m.notes[rule] += 1
    return m


def read_dump(path):
    table = OrderedDict()
    with open(path, newline='') as fh:
        for row in csv.DictReader(fh):
            key = (row['ipver'], row['proto'], addr(row['src']), row['sport'],
                   addr(row['dst']), row['dport'])
            if key in table:
                die('failed to read %s: flow %s twice' % (path, ','.join(key)))
            f = Flow(Decimal(row['first']))
            f.last = Decimal(row['last'])
            f.packets = int(row['packets'])
            f.l3 = int(row['l3_bytes'])
            f.flags = int(row['tcp_flags'], 16)
            table[key] = f
    return table


def read_counters(path):
    cnt = {}
    with open(path) as fh:
        for line in fh:
            if line.startswith('counters:'):
                for kv in line.split()[1:]:
                    k, v = kv.split('=')
                    cnt[k] = int(v)
    if not cnt:
        die('failed to read counters from %s: no "counters:" line' % path)
    return cnt


def diff_tables(exp, got, times=True):
    errs = []
    for key, e in exp.items():
        g = got.get(key)
        name = ','.join(key)
        if g is None:
            errs.append('missing %s: %d pkts %d bytes' % (name, e.packets, e.l3))
            continue
        d = []
        if (e.packets, e.l3) != (g.packets, g.l3):
            d.append('pkts/bytes %d/%d, expected %d/%d' % (g.packets, g.l3, e.packets, e.l3))
        if times and abs(e.first - g.first) > ONE_US:
            d.append('first %s, expected %s' % (g.first, e.first))
        if times and abs(e.last - g.last) > ONE_US:
            d.append('last %s, expected %s' % (g.last, e.last))
        if e.flags != g.flags:
            d.append('tcp_flags 0x%02x, expected 0x%02x' % (g.flags, e.flags))
        if d:
            errs.append('flow %s: %s' % (name, '; '.join(d)))
    for key, g in got.items():
        if key not in exp:
            errs.append('extra %s: %d pkts %d bytes' % (','.join(key), g.packets, g.l3))
    return errs


SWITCHES = ('--no-times',)


def main(argv):
    opts = set(a for a in argv[1:] if a in SWITCHES)
    argv = [argv[0]] + [a for a in argv[1:] if a not in SWITCHES]
    if len(argv) not in (4, 5) or any(a.startswith('--') for a in argv[1:]):
        die('usage: compare.py [--no-times] PCAP DUMP.csv ORACLE.csv [COUNTERS.txt]')
    pcap, dump, oracle = argv[1:4]
    pkts = tshark_packets(pcap)
    errs = check_oracle(oracle_table(pkts), oracle)
    if errs:
        print('the tshark pass does not reproduce tshark_flows.sh:')
        print('\n'.join(errs))
        return 1
    m = model_table(pkts)
    if m.unmodelled:
        print('packets the checker cannot model:')
        print('\n'.join(m.unmodelled))
        return 1
    errs = diff_tables(m.table, read_dump(dump), times='--no-times' not in opts)
    if len(argv) == 5:
        cnt = read_counters(argv[4])
        nerr = sum(v for k, v in cnt.items() if k.startswith('err_'))
        if nerr != m.errors:
            errs.append('parse errors: counters say %d, expected %d (%s)' % (
                nerr, m.errors, ' '.join('%s=%d' % (k, v) for k, v in cnt.items()
                                         if k.startswith('err_') and v)))
        if cnt.get('frag_no_first', 0) != m.frag_no_first:
            errs.append('frag_no_first %d, expected %d' % (cnt.get('frag_no_first', 0),
                                                            m.frag_no_first))
        if cnt.get('table_full_pkts', 0):
            errs.append('table full: %d packets lost' % cnt['table_full_pkts'])
    print('%d flows, %d packets; oracle: %d packets' % (
        len(m.table), sum(f.packets for f in m.table.values()), len(pkts)))
    for rule, n in sorted(m.notes.items()):
        print('modelled: %d pkt(s): %s' % (n, rule))
    if errs:
        print('\n'.join(errs))
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
