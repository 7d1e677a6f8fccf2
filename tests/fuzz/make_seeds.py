#!/usr/bin/python3
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
"""make_seeds.py OUTDIR - the seed corpus of the fuzz harnesses (tests/fuzz/corpus).

Hand-built packets (RFC header layouts, addresses from 198.18.0.0/15 and
fd00::/8) in the input format of each harness: pcap and pcapng files of
several link types (fuzz_pcap), framed packets (fuzz_native), link-type
packets (fuzz_linktype), command lines (fuzz_opts) and records
(fuzz_ipfix). Deterministic: running it again gives the same files.
Standard library only.
"""
import os
import random
import struct
import sys

A4, B4 = bytes([198, 18, 0, 1]), bytes([198, 18, 0, 2])
A6 = bytes.fromhex('fd000000000000000000000000000001')
B6 = bytes.fromhex('fd000000000000000000000000000002')
MAC_A, MAC_B = bytes([2, 0, 0, 0, 0, 1]), bytes([2, 0, 0, 0, 0, 2])


def csum(b):
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def ipv4(proto, l4, src=A4, dst=B4, ident=1, frag=0, opts=b''):
    ihl = 5 + len(opts) // 4
    h = struct.pack('!BBHHHBBH4s4s', 0x40 | ihl, 0, ihl * 4 + len(l4), ident, frag, 64, proto,
                    0, src, dst) + opts
    return h[:10] + struct.pack('!H', csum(h)) + h[12:] + l4


def ipv6(nh, rest, src=A6, dst=B6):
    return struct.pack('!IHBB16s16s', 6 << 28, len(rest), nh, 64, src, dst) + rest


def udp(sport, dport, payload=b''):
    return struct.pack('!HHHH', sport, dport, 8 + len(payload), 0) + payload


def tcp(sport, dport, flags, seq=1, ack=0, opts=b'', payload=b''):
    doff = 5 + len(opts) // 4
    return struct.pack('!HHIIBBHHH', sport, dport, seq, ack, doff << 4, flags, 65535, 0,
                       0) + opts + payload


def eth(l3, etype=0x0800, vlan=None):
    tag = struct.pack('!HH', 0x8100, vlan) if vlan is not None else b''
    return MAC_B + MAC_A + tag + struct.pack('!H', etype) + l3


SYN_OPTS = bytes([2, 4, 0x05, 0xb4, 1, 3, 3, 7])    # MSS 1460, NOP, window scale 7


def packets():
    """Ethernet frames of a few flows: TCP with a handshake, UDP, ICMP, fragments, IPv6."""
    p = [
        eth(ipv4(6, tcp(40000, 80, 0x02, 100, 0, SYN_OPTS))),
        eth(ipv4(6, tcp(80, 40000, 0x12, 500, 101, SYN_OPTS), B4, A4)),
        eth(ipv4(6, tcp(40000, 80, 0x10, 101, 501, payload=b'GET / HTTP/1.0\r\n\r\n'))),
        eth(ipv4(6, tcp(40000, 80, 0x11, 119, 501))),
        eth(ipv4(6, tcp(80, 40000, 0x11, 501, 120), B4, A4)),
        eth(ipv4(17, udp(5353, 53, b'q' * 20)), vlan=100),
        eth(ipv4(1, bytes([8, 0, 0, 0, 0, 1, 0, 1]) + b'ping')),
        eth(ipv4(17, udp(7000, 53, b'x' * 32), ident=0x77, frag=0x2000)),
        eth(ipv4(17, b'y' * 24, ident=0x77, frag=5)),
        eth(ipv4(17, udp(7001, 53), opts=bytes([1, 1, 1, 0]))),
        eth(ipv6(17, udp(4000, 4001, b'v6')), 0x86dd),
        eth(ipv6(0, bytes([44, 0, 1, 4, 0, 0, 0, 0]) +
                 bytes([17, 0, 0, 1, 0, 0, 0, 9]) + udp(4002, 53, b'f' * 16)), 0x86dd),
        eth(ipv6(58, bytes([128, 0, 0, 0, 0, 1, 0, 1])), 0x86dd),
        eth(b'\0' * 28, 0x0806),
    ]
    return p


def pcap(frames, linktype=1, nano=False, snap=65535):
    magic = 0xa1b23c4d if nano else 0xa1b2c3d4
    out = struct.pack('<IHHiIII', magic, 2, 4, 0, 0, snap, linktype)
    for i, f in enumerate(frames):
        out += struct.pack('<IIII', 1700000000 + i, 1000 * i, len(f), len(f)) + f
    return out


def pcapng(frames, linktype=1):
    def block(btype, body):
        body += b'\0' * (-len(body) % 4)
        n = 12 + len(body)
        return struct.pack('<II', btype, n) + body + struct.pack('<I', n)
    out = block(0x0a0d0d0a, struct.pack('<IHHq', 0x1a2b3c4d, 1, 0, -1))
    out += block(1, struct.pack('<HHI', linktype, 0, 65535))
    for i, f in enumerate(frames):
        ts = (1700000000 + i) * 1000000
        out += block(6, struct.pack('<IIIII', 0, ts >> 32, ts & 0xffffffff, len(f), len(f)) + f)
    return out


def l3_of(frame):
    off = 18 if frame[12:14] == b'\x81\x00' else 14
    return frame[off - 2:off], frame[off:]


def cooked_v1(frame):
    etype, l3 = l3_of(frame)
    return struct.pack('!HHH8s', 0, 1, 6, MAC_A + b'\0\0') + etype + l3


def null_loop(frame):
    etype, l3 = l3_of(frame)
    af = 2 if etype == b'\x08\x00' else 24
    return struct.pack('<I', af) + l3


def raw(frame):
    return l3_of(frame)[1]


def write(path, data):
    with open(path, 'wb') as f:
        f.write(data)


def main(out):
    pk = packets()
    ip_only = [f for f in pk if f[12:14] != b'\x08\x06']
    d = os.path.join(out, 'pcap')
    os.makedirs(d, exist_ok=True)
    write(os.path.join(d, 'ethernet.pcap'), pcap(pk))
    write(os.path.join(d, 'ethernet-ns.pcap'), pcap(pk[:5], nano=True))
    write(os.path.join(d, 'ethernet.pcapng'), pcapng(pk))
    write(os.path.join(d, 'cooked.pcap'), pcap([cooked_v1(f) for f in ip_only], 113))
    write(os.path.join(d, 'loopback.pcap'), pcap([null_loop(f) for f in ip_only], 0))
    write(os.path.join(d, 'raw.pcap'), pcap([raw(f) for f in ip_only], 101))
    write(os.path.join(d, 'snap64.pcap'), pcap([f[:64] for f in pk], snap=64))

    d = os.path.join(out, 'native')
    os.makedirs(d, exist_ok=True)
    stream = b''
    for i, f in enumerate(pk):
        stream += struct.pack('<HBHH', len(f), 2 if i == 6 else 0, 1, 0) + f
    write(os.path.join(d, 'flows'), stream)
    write(os.path.join(d, 'fake-l2'), b''.join(
        struct.pack('<HBHH', len(f), 1, 1000, 0) + f for f in ip_only[:4]))
    big = eth(ipv4(6, tcp(40001, 443, 0x10, payload=b'z' * 100)))
    write(os.path.join(d, 'gso-like'), struct.pack('<HBHH', len(big), 0, 0, 60000) + big)

    d = os.path.join(out, 'linktype')
    os.makedirs(d, exist_ok=True)
    known = [0, 1, 9, 12, 14, 50, 101, 104, 108, 113, 228, 229, 239, 276]
    v4 = raw(pk[5])
    samples = {0: null_loop(pk[5]), 1: pk[5], 9: b'\xff\x03\x00\x21' + v4, 12: v4, 14: v4,
               50: b'\x0f\x00\x08\x00' + v4, 101: v4, 104: b'\x0f\x00\x08\x00' + v4,
               108: struct.pack('!I', 2) + v4, 113: cooked_v1(pk[5]), 228: v4,
               229: raw(pk[10]), 276: struct.pack('!HHIHBB8s', 0x0800, 0, 1, 1, 0, 6, MAC_A +
                                                   b'\0\0') + v4,
               239: struct.pack('<BBH', 2, 0, 0) + struct.pack('<HH', 8, 1) +
               struct.pack('!HBB', 0x0800, 0, 0) + struct.pack('<HH', 4 + len(v4), 9) + v4}
    for i, lt in enumerate(known):
        write(os.path.join(d, 'lt%d' % lt), struct.pack('<BIH', i, 0, 4096) + samples[lt])

    d = os.path.join(out, 'opts')
    os.makedirs(d, exist_ok=True)
    lines = [
        ['replay', 'capture.pcap', '-j', '-o', '-'],
        ['run', '-I', 'veth0,veth1', '-D', 'ingress', '-x', 'tcp://[fd00::1]:4739', '-x',
         '198.18.0.9', '--features', 'iat,tcp'],
        ['load', '-I', 'eth0', '--max-flows', '1024', '--idle-timeout', '30', '-p', 't2'],
        ['--attach', '-I', 'lo', '-f', '/sys/fs/bpf/x'],
        ['unload', '--all', '-q'],
        ['status', '-j', '-v'],
        ['help', 'run'],
        ['-r', 'x.pcap', '--engine', 'kernel', '--obj', 'k.o', '--format', 'json'],
        ['run', '-i', '0', '-d', '/var/log/flows', '-l', 'log', '--odid', '7', '--uniflow'],
    ]
    for i, argv in enumerate(lines):
        write(os.path.join(d, 'cmd%d' % i), '\0'.join(argv).encode())

    d = os.path.join(out, 'ipfix')
    os.makedirs(d, exist_ok=True)
    rng = random.Random(12)
    for i in range(4):
        head = bytes([i & 1]) + struct.pack('<H', 1400 if i < 2 else 9000)
        body = bytes(rng.randrange(256) if rng.random() < 0.3 else 0 for _ in range(1200))
        write(os.path.join(d, 'record%d' % i), head + body)


if __name__ == '__main__':
    if len(sys.argv) != 2:
        print('usage: make_seeds.py OUTDIR', file=sys.stderr)
        sys.exit(2)
    main(sys.argv[1])
