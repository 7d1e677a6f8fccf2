#!/usr/bin/python3
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
"""bcc_race.py ROOT [REPEAT [SPIN [noretry]]] - the BCC profile's owner lock under contention:
builds the BCC programs as tc_flowmon.py does (no attach), runs the TC
ingress chain on CPU 0 and CPU 1 at once (BPF_PROG_TEST_RUN, REPEAT
packets three times each) on one TCP flow, and prints
"sent N counted N race_lost N" from the table and the counters. SPIN:
build the lock's spin with SPIN tries of one clock read (FM_BCC_SPIN),
not 64 of 32, so that it gives up often and the retry must do the work;
noretry: without the retry (FM_BCC_NO_RETRY), to compare."""
import ctypes as ct
import os
import struct
import sys

ROOT = sys.argv[1]
REPEAT = int(sys.argv[2]) if len(sys.argv) > 2 else 200000
SPIN = int(sys.argv[3]) if len(sys.argv) > 3 else 0
NORETRY = len(sys.argv) > 4 and sys.argv[4] == "noretry"
CALLS = 3
sys.path.insert(0, os.path.join(ROOT, "scripts"))
sys.argv = sys.argv[:1]
import tc_flowmon as T  # noqa: E402
from scapy.all import Ether, IP, TCP, Raw  # noqa: E402

BPF_PROG_TEST_RUN = 10
SYS_BPF = 321	# x86_64
CNT_RACE_LOST = 11	# enum flowmon_counter (include/flowmon.h)


class Args:
    iface = "lo"
    max_flows = 65536
    ring_bytes = 4 << 20
    idle = 15
    active = 1800


hdr = T.find_headers(ROOT)
if hdr:
    os.environ["BCC_KERNEL_SOURCE"] = hdr
m = T.Meter(Args(), ROOT)
m.make_maps()
if SPIN:
    m.cflags += ["-DFM_BCC_SPIN=%d" % SPIN, "-DFM_BCC_PAUSE_READS=1"]
if NORETRY:
    m.cflags += ["-DFM_BCC_NO_RETRY=1"]
m.compile()
fd = m.fns["fm_bcc_ingress"].fd
pkt = bytes(Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") /
            IP(src="198.18.0.1", dst="198.18.0.2", ttl=64) /
            TCP(sport=7000, dport=80, seq=1000, flags="A", window=100) / Raw(b"x" * 100))
libc = ct.CDLL(None, use_errno=True)


def run(cpu):
    os.sched_setaffinity(0, {cpu})
    data = ct.create_string_buffer(pkt, len(pkt))
    out = ct.create_string_buffer(256)
    for _ in range(CALLS):
        attr = struct.pack("IIIIQQII", fd, 0, len(pkt), len(out), ct.addressof(data),
                           ct.addressof(out), REPEAT, 0) + bytes(80)
        buf = ct.create_string_buffer(attr, len(attr))
        if libc.syscall(SYS_BPF, BPF_PROG_TEST_RUN, buf, len(attr)):
            print("BPF_PROG_TEST_RUN on CPU %d: %s" % (cpu, os.strerror(ct.get_errno())))
            os._exit(1)
    os._exit(0)


pids = []
for cpu in (0, 1):
    pid = os.fork()
    if pid == 0:
        run(cpu)
    pids.append(pid)
ok = all(os.waitstatus_to_exitcode(os.waitpid(p, 0)[1]) == 0 for p in pids)
counted = 0
for _, v in m.maps["flowmon_stats"].items():
    counted += struct.unpack_from("Q", bytes(v), 24)[0]	# flow_metrics.packets
race = sum(m.maps["flowmon_counters"][ct.c_int(CNT_RACE_LOST)])
print("sent %d counted %d race_lost %d" % (2 * CALLS * REPEAT, counted, race))
sys.exit(0 if ok else 1)
