#!/usr/bin/python3
"""bpfquery.py - what the kernel has attached, asked with the bpf(2) system call
directly (ctypes), independently of tc_flowmon_user:

  bpfquery.py tcx DEV ingress|egress   one line per program on the tcx hook, in
                                       run order: "PROG_ID LINK_ID NAME"
  bpfquery.py links                    every BPF link: "LINK_ID TYPE PROG_ID NAME"
"""
import ctypes, os, platform, socket, struct, sys

NR_BPF = {"x86_64": 321, "aarch64": 280}[platform.machine()]
BPF_PROG_GET_FD_BY_ID, BPF_OBJ_GET_INFO_BY_FD, BPF_PROG_QUERY = 13, 15, 16
BPF_LINK_GET_FD_BY_ID, BPF_LINK_GET_NEXT_ID = 30, 31
TCX = {"ingress": 46, "egress": 47}      # BPF_TCX_INGRESS/EGRESS (6.6)
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long

def bpf(cmd, attr):
    buf = ctypes.create_string_buffer(bytes(attr), 256)
    r = libc.syscall(NR_BPF, cmd, buf, 256)
    if r < 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
    return r, buf.raw

def info(fd, size):
    out = ctypes.create_string_buffer(size)
    attr = struct.pack("=IIQ", fd, size, ctypes.addressof(out))
    bpf(BPF_OBJ_GET_INFO_BY_FD, attr)
    return out.raw

def prog_name(prog_id):
    try:
        fd, _ = bpf(BPF_PROG_GET_FD_BY_ID, struct.pack("=I", prog_id))
    except OSError:
        return "?"
    try:
        return info(fd, 256)[64:80].split(b"\0")[0].decode()    # bpf_prog_info.name
    finally:
        os.close(fd)

def tcx(dev, hook):
    n = 64
    progs = (ctypes.c_uint32 * n)()
    links = (ctypes.c_uint32 * n)()
    attr = struct.pack("=IIIIQII QQQQ", socket.if_nametoindex(dev), TCX[hook], 0, 0,
                       ctypes.addressof(progs), n, 0, 0, ctypes.addressof(links), 0, 0)
    _, out = bpf(BPF_PROG_QUERY, attr)
    count = struct.unpack_from("=I", out, 24)[0]
    for i in range(min(count, n)):
        print(progs[i], links[i], prog_name(progs[i]))

def all_links():
    lid = 0
    for _ in range(65536):
        try:
            _, out = bpf(BPF_LINK_GET_NEXT_ID, struct.pack("=II", lid, 0))
        except OSError:
            return
        lid = struct.unpack_from("=I", out, 4)[0]
        try:
            fd, _ = bpf(BPF_LINK_GET_FD_BY_ID, struct.pack("=I", lid))
        except OSError:
            continue
        typ, _, prog = struct.unpack_from("=III", info(fd, 64), 0)
        os.close(fd)
        print(lid, typ, prog, prog_name(prog))

if __name__ == "__main__":
    if sys.argv[1] == "tcx":
        tcx(sys.argv[2], sys.argv[3])
    else:
        all_links()
