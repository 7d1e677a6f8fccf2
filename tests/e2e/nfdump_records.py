#!/usr/bin/python3
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
"""nfdump_records.py - an IPFIX collector's records in tc_flowmon_user's JSON keys.

    nfdump_records.py NFDUMP.json OUT.jsonl

NFDUMP.json is "nfdump -R DIR -N -o json" (TZ=UTC). Each FLOW record
becomes one JSON line with the keys tests/pcap/compare.py reads
(IPV4_/IPV6_SRC_ADDR, PROTOCOL, L4_SRC_PORT, L4_DST_PORT (ICMP: type and
code), IN_PKTS/IN_BYTES, OUT_PKTS/OUT_BYTES (RFC 5103 reverse, 0 for a
uniflow record), FLOW_START/END_MILLISECONDS, CLIENT_TCP_FLAGS), so that
compare.py judges what the collector received by tshark, as it judges
the meter's own output. nfdump keeps no reverse TCP flags: the records
carry no SERVER_TCP_FLAGS (compare.py then leaves that direction's flags
unchecked), and its flags are 8 bits (compare.py --flags-mask 0xff).
Prints the number of records; exit 2 if the file is not nfdump's JSON.
"""

import datetime
import ipaddress
import json
import sys


def ms(iso):
    t = datetime.datetime.strptime(iso, '%Y-%m-%dT%H:%M:%S.%f')
    return round(t.replace(tzinfo=datetime.timezone.utc).timestamp() * 1000)


def flags(s):
    """nfdump's "CEUAPRSF" string (a dot for a bit not set) as a number."""
    return sum(0x80 >> i for i, c in enumerate(s[:8]) if c != '.')


def main(argv):
    if len(argv) != 3:
        print('usage: nfdump_records.py NFDUMP.json OUT.jsonl', file=sys.stderr)
        return 2
    try:
        with open(argv[1]) as fh:
            recs = json.load(fh)
    except ValueError:
        recs = []       # nfdump prints no array when it read no record
    except OSError as e:
        print('nfdump_records.py: %s' % e, file=sys.stderr)
        return 2
    n = 0
    with open(argv[2], 'w') as out:
        for r in recs:
            if r.get('type') != 'FLOW':
                continue
            src = ipaddress.ip_address(r.get('src4_addr') or r.get('src6_addr'))
            dst = ipaddress.ip_address(r.get('dst4_addr') or r.get('dst6_addr'))
            ver = src.version
            if 'icmp_type' in r:
                sp, dp = r['icmp_type'], r['icmp_code']
            else:
                sp, dp = r.get('src_port', 0), r.get('dst_port', 0)
            rec = {'IP_PROTOCOL_VERSION': ver, 'IPV%d_SRC_ADDR' % ver: str(src),
                   'IPV%d_DST_ADDR' % ver: str(dst), 'PROTOCOL': r['proto'],
                   'L4_SRC_PORT': sp, 'L4_DST_PORT': dp,
                   'IN_PKTS': r['in_packets'], 'IN_BYTES': r['in_bytes'],
                   'OUT_PKTS': r.get('out_packets', 0), 'OUT_BYTES': r.get('out_bytes', 0),
                   'FLOW_START_MILLISECONDS': ms(r['first']),
                   'FLOW_END_MILLISECONDS': ms(r['last']),
                   'CLIENT_TCP_FLAGS': flags(r.get('tcp_flags', ''))}
            out.write(json.dumps(rec) + '\n')
            n += 1
    print(n)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
