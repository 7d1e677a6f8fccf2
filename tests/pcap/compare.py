#!/usr/bin/python3
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
"""compare.py - judge a flow meter's records of one capture by tshark.

    compare.py [options] PCAP RECORDS.jsonl

RECORDS.jsonl: JSON lines with tc_flowmon_user's nProbe-style keys, e.g.
the output of "tc_flowmon_user -r PCAP -j -o RECORDS.jsonl -v" with no
timeouts (or an IPFIX collector's records converted to those keys).

What decides is tshark (one pass over PCAP, reassembly off), never the
meter: each packet is keyed as tshark dissects it (the outermost IP header,
its IPv6 extension headers, the L4 header right after them: ports, or the
ICMP type and code), with the L3 length its IP header states, its TCP flags
and its time. Where the meter counts a packet otherwise on purpose, one of
the counting rules in RULES below applies: each one says what differs and
why, and names the documentation it comes from. RULES is the one list of
such differences (docs/TESTING.md points here); every rule is exercised by
a capture that tests/pcap/make_synth.py crafts with its expected count.

Checked, per unidirectional key (ICMP: sport 0, dport type*256+code):
packets and L3 bytes exactly, TCP flags exactly; per connection (the key
and its reverse): the records' first and last milliseconds against the
first packet's and the latest packet's times (truncated to the ms); the
kernel counters err_l2, err_ip4, err_ip6, err_ip6_ext, err_l4 and
frag_no_first each against the packets the rules put there (per reason,
not one sum), and table_full_pkts, events_lost, race_lost, other_hook 0.
Any difference fails, and so does a packet that neither tshark's fields nor
a rule can place.

Options:
  --counters LOG        tc_flowmon_user -v output: its last "kernel:" line
  --no-times            do not compare times
  --flags-mask M        compare TCP flags under mask M (0xff: a collector
                        that keeps 8 bits); a direction whose records carry
                        no CLIENT_/SERVER_TCP_FLAGS has its flags unchecked
                        (without this option such a TCP record is an error)
  --expect-rules JSON   {"rule": count, ...}: the rules must have applied
                        exactly so often (crafted captures; absent = 0)
  --rules-out FILE      write {"rule": count} of this capture to FILE
  --list-rules          print the rules (id, counter, reason) and exit
  --metrics             also the per-direction metrics (metrics.py: TTL,
                        lengths, TOS, flow label, IAT, MSS, window scale,
                        windows, resent segments) against tshark's fields
  --eof                 the records of a replay without timeouts: every one
                        ends with reason 3 or 4, has IN_PKTS > 0, OUT_PKTS 0
                        exactly when OUT_BYTES 0, and a connection open at
                        the end of the file is written in one record

Exit 0 when everything matches, 1 on a difference (one line each on
stdout), 2 on a usage or tool error. Standard library only; run it with
Debian's /usr/bin/python3.
"""

import ipaddress
import json
import subprocess
import sys
from collections import Counter, OrderedDict
from decimal import Decimal

# ---------------------------------------------------------------------------
# The counting rules: every way the meter deliberately counts a packet
# otherwise than tshark's plain dissection. id: (counter or None, reason).
# ---------------------------------------------------------------------------
RULES = OrderedDict([
    ('l2-not-walked', (None,
     'IP behind a link layer the parser does not walk (MPLS, PPPoE, LLC, ...) is not '
     'a flow for the meter (non_ip); the parser walks Ethernet and 802.1Q/802.1ad tags '
     '(DESIGN.md, Parsing: L2)')),
    ('l2-too-many-tags', ('err_l2',
     'more than 8 stacked VLAN tags: err_l2 (DESIGN.md, Parsing: "up to 8 stacked '
     '802.1Q/802.1ad tags")')),
    ('ip4-header', ('err_ip4',
     'an IPv4 header cut short, not version 4 behind ethertype 0x0800, IHL below 5, or '
     'a total length below the header length: err_ip4 (DESIGN.md, Parsing: malformed '
     'headers are counted under their reason)')),
    ('ip4-length-beyond-frame', ('err_ip4',
     'an IPv4 total length beyond the frame: bytes that were never on the wire are not '
     'counted, the packet is malformed: err_ip4 (README.md, What is counted)')),
    ('ip6-header', ('err_ip6',
     'an IPv6 header cut short, or not version 6 behind ethertype 0x86dd: err_ip6 '
     '(DESIGN.md, Parsing)')),
    ('ip6-length-beyond-frame', ('err_ip6',
     'an IPv6 payload length beyond the frame: err_ip6 (README.md, What is counted)')),
    ('ip6-ext-cut', ('err_ip6_ext',
     'an IPv6 extension header cut short (by the capture or by the payload length), or '
     'more than 8 of them: err_ip6_ext (DESIGN.md, Parsing: "up to 8 extension '
     'headers")')),
    ('l4-cut', ('err_l4',
     'the fixed L4 header (TCP 20 bytes, UDP and UDP-Lite 8, SCTP common header 12, '
     'DCCP generic header 12, ICMP/ICMPv6 type-code-checksum 4), or the TCP options '
     'its data offset announces, do not lie within the IP packet (the capture or the '
     'IP length cuts them; padding and trailers after the IP packet are not part of '
     'it), or a TCP data offset below 5: err_l4, in a first fragment as in a whole '
     'packet (RFC 1858 3.2 tiny fragments, RFC 7112; DESIGN.md, Parsing)')),
    ('frag-joins-first', (None,
     'a non-first fragment joins the flow of its first fragment seen earlier (same '
     'addresses and ID, and for IPv4 protocol): it gets that flow\'s ports and, for '
     'IPv6, its protocol; tshark without reassembly shows none (DESIGN.md, Parsing)')),
    ('frag-no-first', ('frag_no_first',
     'a non-first fragment whose first fragment was not seen: a portless flow, counted '
     'in frag_no_first (DESIGN.md, Parsing)')),
])

# The metrics (metrics.py) where the meter deliberately does not follow
# tshark's fields: id -> reason.
METRIC_RULES = OrderedDict([
    ('tcp-options-cut',
     'a SYN whose options the packet cuts (a first fragment that ends inside '
     'them, or a capture cut short) gives no MSS and no window scale: the meter '
     'reads the options only when all the bytes its data offset announces are '
     'there, where tshark reads the options that are'),
    ('iat-gap-saturated',
     'a gap of 2^32 microseconds (71 minutes) or more: the kernel sums the '
     'squared gaps in whole microseconds, each saturated at 2^32 - 1 so the '
     'sum cannot wrap, so the standard deviation of such a direction is not '
     'compared'),
    ('win-scale-unknown',
     'tshark scales windows only when it saw both SYNs; without them it shows '
     'the raw window (scale factor unknown) while the meter scales by the '
     'side\'s own SYN option when it saw that SYN and no peer SYN without one '
     '(RFC 7323 2.2): the window of such a direction is not compared'),
])

# Kernel counters checked exactly: the ones the rules feed, and those that
# must stay 0 on a replay (one hook, a table big enough, nothing concurrent).
RULE_COUNTERS = ('err_l2', 'err_ip4', 'err_ip6', 'err_ip6_ext', 'err_l4', 'frag_no_first')
ZERO_COUNTERS = ('table_full_pkts', 'table_full_bytes', 'events_lost', 'race_lost',
                 'other_hook')

FIELDS = [
    'frame.number', 'frame.time_epoch', 'frame.len', 'frame.cap_len',
    'frame.protocols', 'ip.proto', 'ipv6.nxt', 'ip.src', 'ipv6.src',
    'ip.dst', 'ipv6.dst', 'ip.len', 'ipv6.plen', 'ip.version', 'ipv6.version',
    'tcp.srcport', 'tcp.dstport', 'udp.srcport', 'udp.dstport', 'tcp.flags',
    'tcp.hdr_len', 'icmp.type', 'icmp.code', 'icmpv6.type', 'icmpv6.code',
    'sctp.srcport', 'sctp.dstport', 'dccp.srcport', 'dccp.dstport', 'ip.id',
    'ip.flags.mf', 'ip.frag_offset', 'ip.hdr_len', 'ipv6.fraghdr.nxt',
    'ipv6.fraghdr.offset', 'ipv6.fraghdr.more', 'ipv6.fraghdr.ident',
    'ipv6.hopopts.nxt', 'ipv6.routing.nxt', 'ipv6.dstopts.nxt',
    'ah.next_header', 'ipv6.hopopts.len', 'ipv6.routing.len',
    'ipv6.dstopts.len', 'ah.length', 'ipv6.opt.jumbo', 'sll.ifindex', '_ws.short',
    '_ws.malformed', 'eth.type', 'vlan.etype',
    # per-direction metrics (metrics.py)
    'ip.ttl', 'ipv6.hlim', 'ip.dsfield', 'ipv6.tclass', 'ipv6.flow', 'tcp.len',
    'tcp.window_size_value', 'tcp.window_size', 'tcp.window_size_scalefactor',
    'tcp.options.mss_val', 'tcp.options.wscale.shift', 'tcp.seq_raw',
    'tcp.analysis.retransmission', 'tcp.analysis.fast_retransmission',
    'tcp.analysis.spurious_retransmission', 'tcp.analysis.out_of_order',
    'tcp.analysis.keep_alive',
]

# Link layers before the IP header, with their length in the capture (None:
# tshark does not say, e.g. NFLOG's TLVs). The meter walks Ethernet and
# VLAN tags; tc_flowmon_user's replay turns the other link types into
# Ethernet frames first (raw IP, BSD loopback, Linux SLL/SLL2, NFLOG, PPP,
# Cisco HDLC).
L2_LEN = {'eth': 14, 'ethertype': 0, 'vlan': 4, 'ieee8021ad': 4, 'null': 4,
          'loop': 4, 'raw': 0, 'sll': None, 'nflog': None, 'ppp': None,
          'chdlc': 4}
VLAN_LAYERS = ('vlan', 'ieee8021ad')
VLAN_MAX = 8                # DESIGN.md, Parsing

# IPv6 extension headers of the key definition (DESIGN.md, Parsing: the
# flow's protocol is the next header after hop-by-hop, routing, destination
# options, fragment and AH), with tshark's layer and next-header field.
IP6_EXT = {0: ('ipv6.hopopts', 'ipv6.hopopts.nxt'),
           43: ('ipv6.routing', 'ipv6.routing.nxt'),
           60: ('ipv6.dstopts', 'ipv6.dstopts.nxt'),
           44: ('ipv6.fraghdr', 'ipv6.fraghdr.nxt'),
           51: ('ah', 'ah.next_header')}
IP6_EXT_MAX = 8             # DESIGN.md, Parsing

# L4 headers with ports (or ICMP type/code): tshark layer, port fields and
# the fixed header length of the RFC (see rule l4-cut).
L4 = {6: ('tcp', 'tcp.srcport', 'tcp.dstport', 20),
      17: ('udp', 'udp.srcport', 'udp.dstport', 8),
      136: ('udplite', 'udp.srcport', 'udp.dstport', 8),
      132: ('sctp', 'sctp.srcport', 'sctp.dstport', 12),
      33: ('dccp', 'dccp.srcport', 'dccp.dstport', 12),
      1: ('icmp', 'icmp.type', 'icmp.code', 4),
      58: ('icmpv6', 'icmpv6.type', 'icmpv6.code', 4)}
# tshark layers that fill the same fields (UDP-Lite uses udp.*)
SAME_FIELDS = {'udp': ('udp', 'udplite'), 'udplite': ('udp', 'udplite')}

# Header names as tshark writes them in "[Malformed Packet: X]" and
# "[Packet size limited during capture: X truncated]".
PARSED_LAYERS = {'IPv4', 'IPv6', 'IPv6 Hop-by-Hop', 'IPv6 Routing',
                 'IPv6 Destination', 'IPv6 Fragment', 'AH', 'TCP', 'UDP',
                 'SCTP', 'DCCP', 'ICMP', 'ICMPv6'}

# ICMP request/reply pairs (RFC 792/950; RFC 4443, 2710, 4861, 4620, 6275):
# a record keyed by the request carries the replies as its reverse.
PEERS = {1: [(8, 0), (13, 14), (15, 16), (17, 18)],
         58: [(128, 129), (130, 131), (133, 134), (135, 136), (139, 140),
              (144, 145), (146, 147)]}
PEER = {}
for _p, _pairs in PEERS.items():
    for _a, _b in _pairs:
        PEER[(_p, _a)] = _b
        PEER[(_p, _b)] = _a


def die(msg):
    print('compare.py: ' + msg, file=sys.stderr)
    sys.exit(2)


# ---------------------------------------------------------------------------
# tshark
# ---------------------------------------------------------------------------

def tshark_packets(pcap):
    """Per-packet fields of every frame tshark sees an IP header in."""
    cmd = ['tshark', '-n', '-r', pcap, '-o', 'ip.defragment:FALSE',
           '-o', 'ipv6.defragment:FALSE', '-Y', 'ip or ipv6', '-T', 'fields',
           '-E', 'separator=/t', '-E', 'occurrence=a', '-E', 'aggregator=|',
           '-E', 'quote=n']
    for f in FIELDS:
        cmd += ['-e', f]
    try:
        # a file cut short still gives the packets before the cut
        res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             universal_newlines=True)
    except OSError as e:
        die('failed to run tshark on %s: %s' % (pcap, e))
    out = res.stdout
    # nothing read and an error: no oracle, not "nothing expected"
    if res.returncode and not out.strip():
        die('tshark could not read %s: %s' % (pcap, res.stderr.strip()[:200]))
    pkts = []
    for line in out.splitlines():
        vals = line.split('\t')
        if len(vals) != len(FIELDS):
            die('failed to parse tshark line: %r' % line)
        pkts.append({f: (v.split('|') if v else []) for f, v in zip(FIELDS, vals)})
    return pkts


def first(p, field):
    return p[field][0] if p[field] else ''


def nth(p, field, n):
    """Occurrence n of a field, None if tshark did not get that far."""
    return p[field][n] if len(p[field]) > n else None


def is_true(v):
    return v in ('1', 'True', 'true')


def addr(a):
    return ipaddress.ip_address(a).compressed


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


# ---------------------------------------------------------------------------
# Each packet: tshark's key, or the rule that places it elsewhere
# ---------------------------------------------------------------------------

class Judge:
    def __init__(self):
        self.frags = {}         # first fragments seen: (ver, src, dst, id[, proto]) -> key
        self.rules = Counter()  # rule -> packets
        self.unplaced = []      # packets neither tshark nor a rule can place

    def cannot(self, p, why):
        self.unplaced.append('frame %s: %s' % (first(p, 'frame.number'), why))
        return None

    def rule(self, rid):
        self.rules[rid] += 1
        return rid


class Pkt:
    """One packet as counted: key, L3 bytes, TCP flags, time; and where its
    IP header (occurrence ipk of ip.* or ipv6.*) and its TCP header
    (occurrence tcpe of tcp.*, None if not read) are in tshark's fields."""
    __slots__ = ('key', 'l3', 'flags', 't', 'p', 'ipk', 'tcpe', 'l3hdr', 'avail')

    def __init__(self, key, l3, flags, t):
        self.key, self.l3, self.flags, self.t = key, l3, flags, t
        self.p = self.ipk = self.tcpe = self.l3hdr = self.avail = None


def judge_packet(j, p):
    """A Pkt for a packet counted in a flow, or None (a rule or unplaced)."""
    protos = first(p, 'frame.protocols').split(':')
    t = Decimal(first(p, 'frame.time_epoch') or '0')
    i = 0
    while i < len(protos) and protos[i] in L2_LEN:
        i += 1
    if i == len(protos) or protos[i] not in ('ip', 'ipv6'):
        if 0 < i < len(protos) and protos[i] == 'data' and protos[i - 1] == 'ethertype':
            # an IP ethertype whose payload tshark cannot take for IP
            etype = (p['vlan.etype'] or p['eth.type'] or [''])[-1]
            if etype == '0x0800':
                j.rule('ip4-header')
            elif etype == '0x86dd':
                j.rule('ip6-header')
            else:
                j.cannot(p, 'ethertype %s, payload not IP' % etype)
            return None
        j.rule('l2-not-walked')
        return None
    if sum(protos[:i].count(x) for x in VLAN_LAYERS) > VLAN_MAX:
        j.rule('l2-too-many-tags')
        return None
    l2 = l2_length(p, protos, i)
    cap = int(first(p, 'frame.cap_len')) - l2 if l2 is not None else None
    if cap is None and tshark_cut_layer(p) in PARSED_LAYERS:
        return j.cannot(p, '%s cut short or malformed, link-layer length unknown'
                        % tshark_cut_layer(p))
    frame_l3 = int(first(p, 'frame.len')) - l2 if l2 is not None else None
    k = idx(protos, i)
    if protos[i] == 'ip':
        ver = 4
        if nth(p, 'ip.version', k) not in (None, '4'):
            j.rule('ip4-header')
            return None
        hlen = nth(p, 'ip.hdr_len', k)
        if (cap is not None and cap < 20) or hlen is None or int(hlen) < 20 or \
                (cap is not None and cap < int(hlen)):
            j.rule('ip4-header')
            return None
        hlen = int(hlen)
        tot = nth(p, 'ip.len', k)
        if tot is not None and 0 < int(tot) < hlen:
            j.rule('ip4-header')
            return None
        if tot is None or nth(p, 'ip.proto', k) is None:
            return j.cannot(p, 'IPv4 header not dissected by tshark')
        l3 = int(tot)
        if l3 == 0:
            # TSO captures: tshark itself reports the frame's length there
            return j.cannot(p, 'IPv4 total length 0')
        # the replay carries the frame's whole length on the wire (cb[0])
        if frame_l3 is not None and l3 > frame_l3:
            j.rule('ip4-length-beyond-frame')
            return None
        proto = int(p['ip.proto'][k])
        src, dst = addr(p['ip.src'][k]), addr(p['ip.dst'][k])
        frag = 'later' if int(p['ip.frag_offset'][k]) else \
            'first' if is_true(p['ip.flags.mf'][k]) else None
        fid = p['ip.id'][k]
        l3hdr = hlen
        avail = min(cap, l3) if cap is not None else None
        nxt = i + 1
    else:
        ver = 6
        if nth(p, 'ipv6.version', k) not in (None, '6') or (cap is not None and cap < 40):
            j.rule('ip6-header')
            return None
        if nth(p, 'ipv6.plen', k) is None or nth(p, 'ipv6.nxt', k) is None:
            return j.cannot(p, 'IPv6 header not dissected by tshark')
        src, dst = addr(p['ipv6.src'][k]), addr(p['ipv6.dst'][k])
        plen = int(p['ipv6.plen'][k])
        l3 = plen + 40
        nh = int(p['ipv6.nxt'][k])
        if plen == 0 and nh == 0:
            # a jumbogram: its length is in the hop-by-hop Jumbo Payload
            # option (RFC 2675)
            jumbo = nth(p, 'ipv6.opt.jumbo', k)
            if jumbo is None:
                return j.cannot(p, 'IPv6 payload length 0 without a jumbo option')
            l3 = int(jumbo) + 40
        if frame_l3 is not None and l3 > frame_l3:
            j.rule('ip6-length-beyond-frame')
            return None
        avail = min(cap, l3) if cap is not None else None
        frag, fid, nxt, n, l3hdr = None, None, i + 1, 0, 40
        while nh in IP6_EXT and n < IP6_EXT_MAX:
            name, nfield = IP6_EXT[nh]
            if avail is not None and avail < l3hdr + 8:
                j.rule('ip6-ext-cut')
                return None
            if nxt >= len(protos) or protos[nxt] != name:
                return j.cannot(p, 'IPv6 extension header %d not dissected by tshark' % nh)
            e = idx(protos, nxt)
            n += 1
            if nh == 44:
                size = 8
                if int(p['ipv6.fraghdr.offset'][e]):
                    frag = 'later'
                elif is_true(p['ipv6.fraghdr.more'][e]):
                    frag = 'first'      # offset 0 and M=0 is an atomic fragment: none
                fid = p['ipv6.fraghdr.ident'][e]
            elif nh == 51:
                size = (int(p['ah.length'][e]) + 2) * 4
            else:
                size = (int(p[name + '.len'][e]) + 1) * 8
            if l3hdr + size > l3 or (avail is not None and avail < l3hdr + size):
                j.rule('ip6-ext-cut')
                return None
            l3hdr += size
            nh = int(p[nfield][e])
            nxt += 1
            if frag == 'later':
                break
        if frag != 'later' and nh in IP6_EXT:
            j.rule('ip6-ext-cut')
            return None
        proto = nh

    sport = dport = flags = 0
    tcpe = None
    # fragments of one packet: addresses and ID, and the protocol for IPv4
    # (RFC 791); IPv6 fragments are identified without it (RFC 8200 4.5)
    fkey = (ver, src, dst, fid, proto if ver == 4 else None)
    if frag == 'later':
        if fkey in j.frags:
            proto, sport, dport = j.frags[fkey]
            if (sport, dport) != (0, 0) or (ver == 6 and proto != nh):
                j.rule('frag-joins-first')
        else:
            j.rule('frag-no-first')
    elif proto in L4:
        layer, fs, fd, need = L4[proto]
        # an L4 header cut short is malformed in a first fragment as in a
        # whole packet (RFC 1858 3.2, RFC 7112): its later fragments then
        # find no first fragment
        got = avail - l3hdr if avail is not None else None
        if got is not None and got < need:
            j.rule('l4-cut')
            return None
        if nxt >= len(protos) or protos[nxt] != layer:
            return j.cannot(p, '%s header not dissected by tshark' % layer)
        e = sum(protos[:nxt].count(x) for x in SAME_FIELDS.get(layer, (layer,)))
        if nth(p, fs, e) is None or nth(p, fd, e) is None:
            return j.cannot(p, 'no %s ports from tshark' % layer)
        sport, dport = int(p[fs][e]), int(p[fd][e])
        if proto == 6:
            doff = nth(p, 'tcp.hdr_len', e)
            if doff is None or int(doff) < 20:
                j.rule('l4-cut')
                return None
            if l3 - l3hdr < int(doff) and frag != 'first':
                j.rule('l4-cut')
                return None
            flags = int(p['tcp.flags'][e], 16) & 0x1ff     # FIN..CWR and AE (NS)
            tcpe = e
        if proto in (1, 58):
            sport, dport = 0, sport * 256 + dport
    if frag == 'first':
        j.frags[fkey] = (proto, sport, dport)
    x = Pkt((str(ver), str(proto), src, str(sport), dst, str(dport)), l3, flags, t)
    x.p, x.ipk, x.tcpe, x.l3hdr, x.avail = p, k, tcpe, l3hdr, avail
    return x


class Dir:
    """One direction as tshark has it: packets, bytes, flags, first, latest."""

    def __init__(self, t):
        self.packets = self.l3 = self.flags = 0
        self.first = self.last = t


def expected_table(pkts):
    j = Judge()
    table = OrderedDict()
    for p in pkts:
        x = judge_packet(j, p)
        if x is None:
            continue
        d = table.setdefault(x.key, Dir(x.t))
        d.packets += 1
        d.l3 += x.l3
        d.flags |= x.flags
        d.last = max(d.last, x.t)       # the latest time, if the clock steps back
    return j, table


# ---------------------------------------------------------------------------
# The records: each merged record back into its two directions
# ---------------------------------------------------------------------------

NEEDED = ('IP_PROTOCOL_VERSION', 'PROTOCOL', 'L4_SRC_PORT', 'L4_DST_PORT',
          'IN_PKTS', 'IN_BYTES', 'OUT_PKTS', 'OUT_BYTES')


def directions(rec):
    """(forward key, reverse key) of a record, in judge_packet's form."""
    ver = int(rec['IP_PROTOCOL_VERSION'])
    src = addr(rec['IPV%d_SRC_ADDR' % ver])
    dst = addr(rec['IPV%d_DST_ADDR' % ver])
    proto, sp, dp = int(rec['PROTOCOL']), int(rec['L4_SRC_PORT']), int(rec['L4_DST_PORT'])
    if proto in (1, 58):
        fwd = (str(ver), str(proto), src, '0', dst, str(sp * 256 + dp))
        rev = (str(ver), str(proto), dst, '0', src, str(PEER.get((proto, sp), sp) * 256 + dp))
    else:
        fwd = (str(ver), str(proto), src, str(sp), dst, str(dp))
        rev = (str(ver), str(proto), dst, str(dp), src, str(sp))
    return fwd, rev


def read_records(path, errs, eof=False, flags_optional=False):
    """Per direction [packets, bytes, flags]; per connection [start ms, end ms].
    A TCP direction with packets must carry its flags unless flags_optional
    (a foreign collector's records, --flags-mask)."""
    dirs, conns = OrderedDict(), OrderedDict()
    forced = Counter()
    try:
        fh = open(path)
    except OSError as e:
        die('failed to open %s: %s' % (path, e))
    with fh:
        for n, line in enumerate(fh, 1):
            try:
                rec = json.loads(line)
            except ValueError:
                errs.append('record %d is not JSON: %r' % (n, line[:80]))
                continue
            if not isinstance(rec, dict) or any(k not in rec for k in NEEDED):
                errs.append('record %d lacks keys: %r' % (n, line[:80]))
                continue
            fwd, rev = directions(rec)
            if eof:
                name = 'record %d (%s)' % (n, ','.join(fwd))
                if rec.get('FLOW_END_REASON') not in (3, 4):
                    errs.append('%s: FLOW_END_REASON %s, expected 3 or 4 (no timeouts)'
                                % (name, rec.get('FLOW_END_REASON')))
                if int(rec['IN_PKTS']) <= 0:
                    errs.append('%s: IN_PKTS %s' % (name, rec['IN_PKTS']))
                if (int(rec['OUT_PKTS']) == 0) != (int(rec['OUT_BYTES']) == 0):
                    errs.append('%s: OUT_PKTS %s but OUT_BYTES %s'
                                % (name, rec['OUT_PKTS'], rec['OUT_BYTES']))
                if rec.get('FLOW_END_REASON') == 4:
                    forced[frozenset((fwd, rev))] += 1
            for key, pk, by, fl in ((fwd, 'IN_PKTS', 'IN_BYTES', 'CLIENT_TCP_FLAGS'),
                                    (rev, 'OUT_PKTS', 'OUT_BYTES', 'SERVER_TCP_FLAGS')):
                pk, by, fl, flk = int(rec[pk]), int(rec[by]), rec.get(fl), fl
                if pk == 0 and by == 0:
                    continue
                if fl is None and not flags_optional and int(rec['PROTOCOL']) == 6:
                    errs.append('record %d (%s): no %s' % (n, ','.join(key), flk))
                d = dirs.setdefault(key, [0, 0, 0])
                d[0] += pk
                d[1] += by
                # flags unknown (None) once a record of the direction lacks them
                d[2] = None if fl is None or d[2] is None else d[2] | int(fl)
            if 'FLOW_START_MILLISECONDS' in rec:
                c = conns.setdefault(frozenset((fwd, rev)), [None, None])
                s, e = int(rec['FLOW_START_MILLISECONDS']), int(rec['FLOW_END_MILLISECONDS'])
                c[0] = s if c[0] is None else min(c[0], s)
                c[1] = e if c[1] is None else max(c[1], e)
    for pair, n in forced.items():
        if n > 1:
            errs.append('connection %s written in %d records at the end of the file: its '
                        'directions were not merged' % (
                            ' / '.join(','.join(k) for k in sorted(pair)), n))
    return dirs, conns


def ms(t):
    return int(t * 1000)        # truncated, as FLOW_*_MILLISECONDS


def compare(exp, dirs, conns, times, mask=0x1ff):
    errs = []
    for key, e in exp.items():
        g = dirs.get(key)
        name = ','.join(key)
        if g is None:
            errs.append('missing %s: %d pkts %d bytes' % (name, e.packets, e.l3))
            continue
        d = []
        if (e.packets, e.l3) != (g[0], g[1]):
            d.append('pkts/bytes %d/%d, tshark %d/%d' % (g[0], g[1], e.packets, e.l3))
        if g[2] is not None and e.flags & mask != g[2] & mask:
            d.append('tcp_flags 0x%02x, tshark 0x%02x' % (g[2] & mask, e.flags & mask))
        if d:
            errs.append('flow %s: %s' % (name, '; '.join(d)))
    for key, g in dirs.items():
        if key not in exp:
            errs.append('extra %s: %d pkts %d bytes' % (','.join(key), g[0], g[1]))
    if times:
        for pair, (start, end) in conns.items():
            ds = [exp[k] for k in pair if k in exp]
            if not ds:
                continue
            want = (ms(min(d.first for d in ds)), ms(max(d.last for d in ds)))
            if (start, end) != want:
                errs.append('connection %s: first/last ms %d/%d, tshark %d/%d' % (
                    ' / '.join(','.join(k) for k in sorted(pair)), start, end, want[0],
                    want[1]))
    return errs


def read_counters(path):
    line = None
    with open(path) as fh:
        for ln in fh:
            if ' kernel: ' in ln or ln.startswith('kernel: '):
                line = ln
    if line is None:
        die('no "kernel:" line in %s (was -v given?)' % path)
    words = line.split('kernel: ', 1)[1].split()
    return {words[i]: int(words[i + 1]) for i in range(0, len(words) - 1, 2)}


def main(argv):
    opts, args, i = {}, [], 1
    while i < len(argv):
        a = argv[i]
        if a in ('--counters', '--expect-rules', '--rules-out', '--flags-mask') and \
                i + 1 < len(argv):
            opts[a] = argv[i + 1]
            i += 2
            continue
        if a in ('--no-times', '--list-rules', '--eof', '--metrics'):
            opts[a] = True
        elif a.startswith('--'):
            die('unknown option %s' % a)
        else:
            args.append(a)
        i += 1
    import metrics      # its rules are listed and expected with these
    if '--list-rules' in opts:
        for rid, (cnt, why) in RULES.items():
            print('%s\t%s\t%s' % (rid, cnt or '-', why))
        for rid, why in metrics.METRIC_RULES.items():
            print('%s\t-\t%s' % (rid, why))
        return 0
    if len(args) != 2:
        die('usage: compare.py [--counters LOG] [--no-times] [--expect-rules JSON] '
            '[--rules-out FILE] PCAP RECORDS.jsonl')
    pcap, records = args
    pkts = tshark_packets(pcap)
    j, exp = expected_table(pkts)
    errs = []
    if j.unplaced:
        errs.append('packets neither tshark nor a rule can place:')
        errs += j.unplaced
    dirs, conns = read_records(records, errs, '--eof' in opts, '--flags-mask' in opts)
    errs += compare(exp, dirs, conns, '--no-times' not in opts,
                    int(opts.get('--flags-mask', '0x1ff'), 0))
    if '--counters' in opts:
        cnt = read_counters(opts['--counters'])
        want = Counter()
        for rid, n in j.rules.items():
            if RULES[rid][0]:
                want[RULES[rid][0]] += n
        for c in RULE_COUNTERS + ZERO_COUNTERS:
            if c not in cnt:
                errs.append('counter %s missing from the -v line' % c)
            elif cnt[c] != want[c]:
                errs.append('counter %s = %d, expected %d (%s)' % (
                    c, cnt[c], want[c], ', '.join('%s %d' % (r, n) for r, n in j.rules.items()
                                                 if RULES[r][0] == c) or 'no rule applies'))
    applied = Counter(j.rules)
    if '--metrics' in opts:
        merrs, mrules, nm = metrics.check(pkts, records)
        errs += merrs
        applied.update(mrules)
        print('%d directions: metrics compared' % nm)
    if '--expect-rules' in opts:
        with open(opts['--expect-rules']) as fh:
            crafted = json.load(fh)
        for rid in sorted(set(crafted) | set(applied)):
            if rid not in RULES and rid not in metrics.METRIC_RULES:
                errs.append('unknown rule %s in %s' % (rid, opts['--expect-rules']))
            elif rid in metrics.METRIC_RULES and '--metrics' not in opts:
                continue
            elif crafted.get(rid, 0) != applied[rid]:
                errs.append('rule %s applied %d times, crafted %d' % (
                    rid, applied[rid], crafted.get(rid, 0)))
    if '--rules-out' in opts:
        with open(opts['--rules-out'], 'w') as fh:
            json.dump(dict(applied), fh)
    print('%d directions, %d packets in flows; %d IP frames in tshark' % (
        len(exp), sum(d.packets for d in exp.values()), len(pkts)))
    for rid, n in applied.items():
        print('rule %s: %d' % (rid, n))
    if errs:
        print('\n'.join(errs))
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
