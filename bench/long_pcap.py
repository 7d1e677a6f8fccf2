#!/usr/bin/python3
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
"""long_pcap.py OUT N FILE... - a long capture for `make bench`: the Ethernet
frames of the given classic pcap files, looped until N frames, on one clock.

Within a pass the frames keep their files' spacing (a gap over 1 s becomes
1 s, a step back becomes 0, so merged files of different years make one
timeline); passes are 60 s apart, longer than the idle timeout, so every
pass starts new records as a long capture does. The result spans hours:
what matters for expiry, whose cost must not grow with the duration.
Standard library only; nanosecond pcap output.
"""
import struct
import sys

GAP_MAX_NS = 1_000_000_000
PASS_GAP_NS = 60_000_000_000
T0_NS = 1_700_000_000 * 1_000_000_000


def frames(path):
    """(ns since the file's first frame, original length, data) of each frame."""
    with open(path, 'rb') as f:
        head = f.read(24)
        if len(head) < 24:
            return
        magic = struct.unpack('<I', head[:4])[0]
        if magic in (0xa1b2c3d4, 0xa1b23c4d):
            end = '<'
        elif magic in (0xd4c3b2a1, 0x4d3cb2a1):
            end = '>'
            magic = struct.unpack('>I', head[:4])[0]
        else:
            return      # pcapng or not a pcap: not looped
        nano = magic == 0xa1b23c4d
        if struct.unpack(end + 'I', head[20:24])[0] != 1:
            return      # not Ethernet
        while True:
            rec = f.read(16)
            if len(rec) < 16:
                return
            sec, frac, incl, orig = struct.unpack(end + 'IIII', rec)
            data = f.read(incl)
            if len(data) < incl:
                return
            yield sec * 1_000_000_000 + (frac if nano else frac * 1000), orig, data


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    out, want, files = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    corpus = [fr for path in files for fr in frames(path)]
    if not corpus:
        sys.exit('long_pcap.py: no Ethernet frames in the files given')
    written, now = 0, T0_NS
    with open(out, 'wb') as o:
        o.write(struct.pack('<IHHiIII', 0xa1b23c4d, 2, 4, 0, 0, 262144, 1))
        while written < want:
            prev = None
            for ts, orig, data in corpus:
                if prev is not None:
                    now += min(max(ts - prev, 0), GAP_MAX_NS)
                prev = ts
                o.write(struct.pack('<IIII', now // 1_000_000_000, now % 1_000_000_000,
                                    len(data), orig))
                o.write(data)
                written += 1
                if written == want:
                    break
            now += PASS_GAP_NS
    print(f'{out}: {written} frames, {(now - PASS_GAP_NS - T0_NS) / 3.6e12:.2f} h')


if __name__ == '__main__':
    main()
