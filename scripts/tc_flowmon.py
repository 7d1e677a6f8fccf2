#!/usr/bin/python3
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
"""tc_flowmon.py - the meter's BPF source (src/bpf) built and run by BCC.

Compiles tc_flowmon_kern.c with BCC in its BCC profile (FM_BCC,
src/bpf/bcc.bpf.h), creates and pins the flow table and its siblings under
the names tc_flowmon_user reads (PIN, PIN's prefix + _counters, _events,
_frags), attaches to TC ingress and egress of one interface (clsact, with
pyroute2), and waits for SIGINT or SIGTERM; then detaches and unpins
(unless --keep). Read the flows with: tc_flowmon_user -f PIN ...

BCC compiles against kernel headers at run time: BCC_KERNEL_SOURCE if set,
else FLOWMON_BCC_HEADERS, else the tree scripts/bcc-headers.sh prepared
(.output/bcc-headers/merged of the source tree, /var/cache/bpfflowmon/
bcc-headers/merged when installed), else the running kernel's own
(/lib/modules/RELEASE/build, kheaders); when there are none, it runs
bcc-headers.sh (Debian's linux-headers, unpacked there, never installed).
"""
import argparse
import ctypes
import os
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.realpath(__file__))
ARPHRD_ETHER = 1
ARPHRD_LOOPBACK = 772
TC_INGRESS = "ffff:fff2"
TC_EGRESS = "ffff:fff3"
PAGE = 4096


def die(msg):
    print("tc_flowmon.py: " + msg, file=sys.stderr)
    sys.exit(1)


def find_src():
    """The source tree (this is scripts/), or as make install lays it out
    (BINDIR/../lib/flowmon/bcc), or FLOWMON_SRC."""
    for d in (os.environ.get("FLOWMON_SRC"), os.path.dirname(HERE),
              os.path.join(os.path.dirname(HERE), "lib/flowmon/bcc")):
        if d and os.path.isfile(os.path.join(d, "src/bpf/tc_flowmon_kern.c")):
            return d
    return None


def headers_dir(src):
    """Where bcc-headers.sh unpacks: the build folder of a source tree, else a cache."""
    if os.path.isfile(os.path.join(src, "Makefile")):
        return os.path.join(src, ".output/bcc-headers")
    return "/var/cache/bpfflowmon/bcc-headers"


def find_headers(src):
    if os.environ.get("BCC_KERNEL_SOURCE"):
        return os.environ["BCC_KERNEL_SOURCE"]
    for d in (os.environ.get("FLOWMON_BCC_HEADERS"), os.path.join(headers_dir(src), "merged")):
        if d and os.path.isfile(os.path.join(d, ".config")):
            return d
    return None


def kernel_has_headers():
    """Where BCC looks by itself: the running kernel's build tree, or kheaders."""
    rel = os.uname().release
    return (os.path.isdir("/lib/modules/%s/build/include" % rel) or
            os.path.exists("/sys/kernel/kheaders.tar.xz"))


def prepare_headers(src):
    """scripts/bcc-headers.sh: Debian's headers unpacked under .output, nothing installed."""
    script = os.path.join(src, "scripts/bcc-headers.sh")
    out = headers_dir(src)
    if not os.path.isfile(script):
        die("failed to find kernel headers: set BCC_KERNEL_SOURCE (scripts/bcc-headers.sh "
            "prepares them)")
    if subprocess.call([script, out]) != 0:
        die("failed to prepare kernel headers in %s (scripts/bcc-headers.sh above)" % out)
    return os.path.join(out, "merged")


def pin_sibling(table_path, what):
    """src/core/pinname.c: <dir>/<table less _stats><_what>."""
    d, table = os.path.split(table_path)
    if len(table) > len("_stats") and table.endswith("_stats"):
        table = table[:-len("_stats")]
    return os.path.join(d, table + "_" + what)


# Each map as maps.bpf.h declares it: BCC makes them from the same C types.
MAPS_TEXT = r"""
#include "flowmon.h"
#include "types.h"
BPF_TABLE("hash", struct flow_key, struct flow_metrics, flowmon_stats, MAX_FLOWS);
BPF_TABLE("percpu_array", __u32, __u64, flowmon_counters, CNT_MAX);
BPF_RINGBUF_OUTPUT(flowmon_events, RING_PAGES);
BPF_TABLE("lru_hash", struct frag_key, struct frag_ports, flowmon_frags, FLOWMON_FRAG_ENTRIES);
BPF_TABLE("percpu_array", __u32, struct flow_metrics, flowmon_scratch, 1);
BPF_TABLE("percpu_array", __u32, struct full_miss, flowmon_fullmiss, 1);
struct fm_bcc_slot { __u8 b[FM_BCC_META_BYTES]; };
BPF_TABLE("percpu_array", __u32, struct fm_bcc_slot, flowmon_bcc_meta, 1);
BPF_PROG_ARRAY(flowmon_bcc_progs, 4);
"""

# BCC loads the functions of its main file only: entry points over the
# source's own, and the two tail-call targets of its BCC profile.
PROG_TEXT = r"""
#include "tc_flowmon_kern.c"

int fm_bcc_ingress(struct __sk_buff *skb)
{
	return flowmon_ingress(skb);
}

int fm_bcc_egress(struct __sk_buff *skb)
{
	return flowmon_egress(skb);
}

int fm_bcc_gen_in(struct __sk_buff *skb)
{
	return bcc_general(skb, FLOW_DIR_INGRESS);
}

int fm_bcc_gen_eg(struct __sk_buff *skb)
{
	return bcc_general(skb, FLOW_DIR_EGRESS);
}

int fm_bcc_l4(struct __sk_buff *skb)
{
	return bcc_l4(skb);
}

int fm_bcc_account(struct __sk_buff *skb)
{
	return bcc_account(skb);
}
"""
PROGS = (("fm_bcc_ingress", TC_INGRESS), ("fm_bcc_egress", TC_EGRESS))
# the prog array's slots, in the order of enum FM_BCC_GENERAL_IN... (tc_flowmon_kern.c)
TAILS = ("fm_bcc_gen_in", "fm_bcc_gen_eg", "fm_bcc_l4", "fm_bcc_account")

# name -> pinned beside the table as (None: not pinned, as in maps.bpf.h)
PINNED = {"flowmon_stats": "", "flowmon_counters": "counters",
          "flowmon_events": "events", "flowmon_frags": "frags",
          "flowmon_scratch": None, "flowmon_fullmiss": None,
          "flowmon_bcc_meta": None, "flowmon_bcc_progs": None}
META_BYTES = 256	# room for struct fm_meta between the tail calls (checked at build)


class Meter:
    def __init__(self, args, src):
        from bcc import BPF, libbcc
        self.BPF, self.lib = BPF, libbcc.lib
        self.args = args
        self.src = src
        self.pins = []
        self.ipr = None
        self.made_qdisc = False
        self.filters = []
        self.ifindex = 0
        incs = ["-I" + os.path.join(src, d) for d in ("include", "src/datapath", "src/bpf")]
        # BCC's helper prototypes take no const pointers: the datapath passes const keys
        self.cflags = incs + ["-D__TARGET_ARCH_x86", "-DFM_BCC",
                              "-Wno-incompatible-pointer-types-discards-qualifiers"]

    def make_maps(self):
        a = self.args
        flags = self.cflags + ["-DMAX_FLOWS=%d" % a.max_flows, "-DFM_BCC_META_BYTES=%d" % META_BYTES,
                               "-DRING_PAGES=%d" % (a.ring_bytes // PAGE)]
        try:
            self.maps = self.BPF(text=MAPS_TEXT, cflags=flags)
        except Exception as e:
            die("failed to create maps: %s" % e)
        self.fds = {n: self.maps[n].map_fd for n in PINNED}

    def pin_maps(self):
        for name, what in PINNED.items():
            if what is None:
                continue
            path = self.args.pin if what == "" else pin_sibling(self.args.pin, what)
            if os.path.exists(path):
                die("failed to pin map %s: %s exists (another meter? remove it or use -p)"
                    % (name, path))
            if self.lib.bpf_obj_pin(self.fds[name], path.encode()) < 0:
                die("failed to pin map %s at %s: %s"
                    % (name, path, os.strerror(ctypes.get_errno() or 1)))
            self.pins.append(path)

    def compile(self):
        a = self.args
        try:
            with open("/sys/class/net/%s/type" % a.iface) as f:
                dev_type = int(f.read())
        except OSError as e:
            die("failed to read type of interface %s: %s" % (a.iface, e.strerror))
        # the kernel puts a MAC header on Ethernet and lo; tun, WireGuard, ip tunnels have none
        has_l2 = 1 if dev_type in (ARPHRD_ETHER, ARPHRD_LOOPBACK) else 0
        flags = self.cflags + ["-DFM_FD_%s=%d" % (n, fd) for n, fd in self.fds.items()]
        flags += ["-DFM_BCC_HAS_L2=%d" % has_l2, "-DFM_BCC_META_BYTES=%d" % META_BYTES,
                  "-DFM_BCC_IDLE_SEC=%d" % a.idle, "-DFM_BCC_ACTIVE_SEC=%d" % a.active]
        text = PROG_TEXT
        try:
            self.prog = self.BPF(text=text, cflags=flags)
        except Exception as e:
            die("failed to compile tc_flowmon_kern.c: %s" % e)
        self.fns = {}
        for name in TAILS + tuple(n for n, _ in PROGS):
            try:
                self.fns[name] = self.prog.load_func(name, self.BPF.SCHED_CLS)
            except Exception as e:
                die("failed to load program %s: %s" % (name, e))
        progs = self.maps["flowmon_bcc_progs"]
        for i, name in enumerate(TAILS):
            try:
                progs[ctypes.c_int(i)] = ctypes.c_int(self.fns[name].fd)
            except Exception as e:
                die("failed to add program %s to flowmon_bcc_progs: %s" % (name, e))

    def attach(self):
        from pyroute2 import IPRoute
        from pyroute2.netlink.exceptions import NetlinkError
        a = self.args
        self.ipr = IPRoute()
        try:
            self.ifindex = self.ipr.link_lookup(ifname=a.iface)[0]
        except IndexError:
            die("failed to find interface %s: no such device" % a.iface)
        try:
            self.ipr.tc("add", "clsact", self.ifindex)
            self.made_qdisc = True
        except NetlinkError as e:
            if e.code != 17:	# EEXIST: someone's clsact, we only add filters
                die("failed to add clsact qdisc to %s: %s" % (a.iface, os.strerror(e.code)))
        for name, parent in PROGS:
            fn = self.fns[name]
            try:
                self.ipr.tc("add-filter", "bpf", self.ifindex, ":1", fd=fn.fd, name=fn.name,
                            parent=parent, classid=1, direct_action=True, prio=a.prio)
            except NetlinkError as e:
                die("failed to attach program %s to %s: %s"
                    % (name, a.iface, os.strerror(e.code)))
            self.filters.append(parent)

    def detach(self):
        from pyroute2.netlink.exceptions import NetlinkError
        if not self.ipr:
            return
        for parent in self.filters:
            try:
                self.ipr.tc("del-filter", "bpf", self.ifindex, ":1", parent=parent,
                            prio=self.args.prio)
            except NetlinkError as e:
                if e.code != 19:	# ENODEV: the interface went away with its filters
                    print("tc_flowmon.py: failed to detach filter %s: %s"
                          % (parent, os.strerror(e.code)), file=sys.stderr)
        self.filters = []
        if self.made_qdisc:
            try:
                self.ipr.tc("del", "clsact", self.ifindex)
            except NetlinkError:
                pass
        self.ipr.close()
        self.ipr = None

    def unpin(self):
        if self.args.keep:
            return
        for p in self.pins:
            try:
                os.unlink(p)
            except OSError as e:
                print("tc_flowmon.py: failed to unpin %s: %s" % (p, e.strerror), file=sys.stderr)
        self.pins = []


def main():
    ap = argparse.ArgumentParser(description="bpfFlowMon's meter built and run by BCC")
    ap.add_argument("-I", "--iface", required=True, help="interface: TC ingress and egress")
    ap.add_argument("-p", "--pin", default="/sys/fs/bpf/flowmon_bcc_stats",
                    help="pin path of the flow table (siblings beside it)")
    ap.add_argument("-m", "--max-flows", type=int, default=65536)
    ap.add_argument("--idle", type=int, default=15, help="idle timeout, s (tc_flowmon_user's --idle-timeout)")
    ap.add_argument("--active", type=int, default=1800, help="active timeout, s")
    ap.add_argument("--prio", type=int, default=1, help="TC filter priority")
    ap.add_argument("-k", "--keep", action="store_true", help="leave the pins at exit")
    ap.add_argument("--ready", help="write this file once attached")
    args = ap.parse_args()
    # the ring grows with the table as tc_flowmon_user's loader makes it (loader.c)
    ring = 4 << 20
    while ring < args.max_flows * 16 and ring < (64 << 20):
        ring <<= 1
    args.ring_bytes = ring
    args.pin = os.path.abspath(args.pin)

    src = find_src()
    if not src:
        die("failed to find source tc_flowmon_kern.c: set FLOWMON_SRC to the source tree")
    hdr = find_headers(src)
    if not hdr and not kernel_has_headers():
        hdr = prepare_headers(src)
    if hdr:
        os.environ["BCC_KERNEL_SOURCE"] = hdr

    stop = []
    signal.signal(signal.SIGINT, lambda s, f: stop.append(s))
    signal.signal(signal.SIGTERM, lambda s, f: stop.append(s))
    m = Meter(args, src)
    rc = 0
    try:
        m.make_maps()
        m.compile()
        m.pin_maps()
        m.attach()
        print("tc_flowmon.py: metering %s, table pinned at %s" % (args.iface, args.pin),
              file=sys.stderr)
        if args.ready:
            open(args.ready, "w").close()
        while not stop:
            time.sleep(0.2)	# (pause() would miss a signal that came just before it)
    except SystemExit as e:
        rc = e.code
    finally:
        m.detach()
        m.unpin()
    return rc


if __name__ == "__main__":
    sys.exit(main())
