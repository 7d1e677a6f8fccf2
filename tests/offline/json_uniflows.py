#!/usr/bin/python3
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
"""json_uniflows.py - tc_flowmon_user's JSON records back into per-direction sums.

    json_uniflows.py RECORDS.jsonl OUT.csv [LOG [COUNTERS.txt]]

Each JSON record (one merged connection, forward = initiator) is split into
its two directions:

  forward  key (src, dst, proto, L4_SRC_PORT, L4_DST_PORT), IN_PKTS/IN_BYTES,
           CLIENT_TCP_FLAGS
  reverse  the key swapped, OUT_PKTS/OUT_BYTES, SERVER_TCP_FLAGS; for ICMP
           and ICMPv6 the addresses are swapped, the type is replaced by its
           peer type (the table below, written from the RFCs, not taken from
           flowtable.c) and the code is kept

and the directions are summed per key over all records. OUT.csv is written
in the CSV format of tests/pcap/replay_dump (ICMP as sport 0, dport
type*256+code), so that tests/pcap/compare.py --no-times can check it
against tshark. first/last are written as 0: the records carry no
per-direction times.

LOG is tc_flowmon_user's -v output: its last "kernel: NAME N ..." line is
written to COUNTERS.txt as replay_dump's "counters: NAME=N ..." line.

Record checks (one line each on stdout, exit 1): valid JSON object with the
keys used here; FLOW_END_REASON 3 or 4 (the run has no timeouts); IN_PKTS >
0 and IN_BYTES > 0; OUT_PKTS 0 exactly when OUT_BYTES 0; a record without
reverse has no DST_INPUT_SNMP; for ICMP, ICMP_TYPE = type*256+code; at end
of file (reason 4) each connection (pair of direction keys) is written in
one record only (the two directions merged).

Summary on stdout: "records N one-direction N directions N".
Exit 0, 1 on a failed check, 2 on a usage or file error.
"""

import ipaddress
import json
import sys

# Request/reply pairs: RFC 792/950 (ICMP echo, timestamp, information,
# address mask); RFC 4443, 2710, 4861, 4620, 6275 (ICMPv6 echo, MLD, RS/RA,
# NS/NA, node information, home agent discovery, mobile prefix).
PEERS = {
    1: [(8, 0), (13, 14), (15, 16), (17, 18)],
    58: [(128, 129), (130, 131), (133, 134), (135, 136), (139, 140),
         (144, 145), (146, 147)],
}
PEER = {}
for _proto, _pairs in PEERS.items():
    for _a, _b in _pairs:
        PEER[(_proto, _a)] = _b
        PEER[(_proto, _b)] = _a

NEEDED = ('IP_PROTOCOL_VERSION', 'PROTOCOL', 'L4_SRC_PORT', 'L4_DST_PORT',
          'IN_PKTS', 'IN_BYTES', 'OUT_PKTS', 'OUT_BYTES', 'FLOW_END_REASON',
          'CLIENT_TCP_FLAGS', 'SERVER_TCP_FLAGS')


def die(msg):
    print('json_uniflows.py: ' + msg, file=sys.stderr)
    sys.exit(2)


def directions(rec):
    """(forward key, reverse key), in compare.py's form (strings)."""
    ver = rec['IP_PROTOCOL_VERSION']
    src = rec['IPV%d_SRC_ADDR' % ver]
    dst = rec['IPV%d_DST_ADDR' % ver]
    src, dst = ipaddress.ip_address(src).compressed, ipaddress.ip_address(dst).compressed
    proto = rec['PROTOCOL']
    sp, dp = rec['L4_SRC_PORT'], rec['L4_DST_PORT']
    if proto in (1, 58):
        rtype = PEER.get((proto, sp), sp)
        fwd = (str(ver), str(proto), src, '0', dst, str(sp * 256 + dp))
        rev = (str(ver), str(proto), dst, '0', src, str(rtype * 256 + dp))
    else:
        fwd = (str(ver), str(proto), src, str(sp), dst, str(dp))
        rev = (str(ver), str(proto), dst, str(dp), src, str(sp))
    return fwd, rev


def counters_from_log(log, out):
    line = None
    with open(log) as fh:
        for ln in fh:
            if ' kernel: ' in ln or ln.startswith('kernel: '):
                line = ln
    if line is None:
        return 'no "kernel:" line in %s (was -v given?)' % log
    words = line.split(' kernel: ', 1)[-1].split()
    if len(words) % 2:
        return 'odd "kernel:" line in %s: %r' % (log, line)
    with open(out, 'w') as fh:
        fh.write('counters: ' + ' '.join('%s=%s' % (words[i], words[i + 1])
                                         for i in range(0, len(words), 2)) + '\n')
    return None


def main(argv):
    if len(argv) not in (3, 4, 5):
        die('usage: json_uniflows.py RECORDS.jsonl OUT.csv [LOG [COUNTERS.txt]]')
    errs = []
    sums = {}           # direction key -> [packets, bytes, flags]
    eof_pairs = {}      # frozenset of the two keys -> records with reason 4
    nrec = oneway = 0
    try:
        fh = open(argv[1])
    except OSError as e:
        die('failed to open %s: %s' % (argv[1], e))
    with fh:
        for lineno, line in enumerate(fh, 1):
            where = 'record %d' % lineno
            try:
                rec = json.loads(line)
            except ValueError as e:
                errs.append('%s: not JSON (%s): %r' % (where, e, line[:80]))
                continue
            if not isinstance(rec, dict) or any(k not in rec for k in NEEDED):
                errs.append('%s: missing keys: %s' % (
                    where, [k for k in NEEDED if not isinstance(rec, dict) or k not in rec]))
                continue
            nrec += 1
            try:
                fwd, rev = directions(rec)
            except (KeyError, ValueError) as e:
                errs.append('%s: bad key fields (%s)' % (where, e))
                continue
            name = '%s (%s)' % (where, ','.join(fwd))
            if rec['FLOW_END_REASON'] not in (3, 4):
                errs.append('%s: FLOW_END_REASON %s, expected 3 or 4 (no timeouts)'
                            % (name, rec['FLOW_END_REASON']))
            if rec['IN_PKTS'] <= 0 or rec['IN_BYTES'] <= 0:
                errs.append('%s: IN_PKTS %d IN_BYTES %d, expected > 0'
                            % (name, rec['IN_PKTS'], rec['IN_BYTES']))
            if (rec['OUT_PKTS'] == 0) != (rec['OUT_BYTES'] == 0):
                errs.append('%s: OUT_PKTS %d but OUT_BYTES %d'
                            % (name, rec['OUT_PKTS'], rec['OUT_BYTES']))
            if rec['OUT_PKTS'] == 0:
                oneway += 1
                if 'DST_INPUT_SNMP' in rec:
                    errs.append('%s: no reverse but DST_INPUT_SNMP present' % name)
            if rec['PROTOCOL'] in (1, 58) and rec.get('ICMP_TYPE') != \
                    rec['L4_SRC_PORT'] * 256 + rec['L4_DST_PORT']:
                errs.append('%s: ICMP_TYPE %s, expected type*256+code %d' % (
                    name, rec.get('ICMP_TYPE'), rec['L4_SRC_PORT'] * 256 + rec['L4_DST_PORT']))
            if rec['FLOW_END_REASON'] == 4:
                pair = frozenset((fwd, rev))
                eof_pairs.setdefault(pair, []).append(lineno)
            for key, pk, by, fl in ((fwd, rec['IN_PKTS'], rec['IN_BYTES'],
                                     rec['CLIENT_TCP_FLAGS']),
                                    (rev, rec['OUT_PKTS'], rec['OUT_BYTES'],
                                     rec['SERVER_TCP_FLAGS'])):
                if pk == 0 and by == 0:
                    continue
                s = sums.setdefault(key, [0, 0, 0])
                s[0] += pk
                s[1] += by
                s[2] |= fl
    for pair, lines in eof_pairs.items():
        if len(lines) > 1:
            errs.append('connection %s written in %d records at end of file (records %s): '
                        'its directions were not merged' % (
                            ' / '.join(','.join(k) for k in sorted(pair)), len(lines),
                            ' '.join(map(str, lines))))
    with open(argv[2], 'w') as out:
        out.write('ipver,proto,src,sport,dst,dport,packets,l3_bytes,first,last,tcp_flags\n')
        for key in sorted(sums):
            pk, by, fl = sums[key]
            out.write('%s,%d,%d,0.000000,0.000000,0x%02x\n' % (','.join(key), pk, by, fl))
    if len(argv) >= 4:
        err = counters_from_log(argv[3], argv[4] if len(argv) == 5 else '/dev/null')
        if err:
            errs.append(err)
    print('records %d one-direction %d directions %d' % (nrec, oneway, len(sums)))
    if errs:
        print('\n'.join(errs))
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
