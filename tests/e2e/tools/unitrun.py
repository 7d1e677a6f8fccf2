#!/usr/bin/python3
"""unitrun.py - run a systemd service unit's [Service] lines the way systemd
would, where PID 1 is not systemd (tests only).

Reads Environment=, EnvironmentFile= (later ones override, "-" optional),
ExecStartPre=, ExecStart=, ExecReload=, ExecStopPost=,
CapabilityBoundingSet=, NoNewPrivileges=, UMask=, RuntimeDirectory=,
LogsDirectory=, and Type=notify. Expands %i and %% and systemd's variables:
"${VAR}" is one word, a word that is exactly "$VAR" splits on white space
(and vanishes when empty). Runs each command under setpriv with the unit's
capability bounding set; ExecStart gets NOTIFY_SOCKET, a datagram socket
this script reads.

Steps, driven by files in --ctl (every wait bounded by --timeout):
  start: pre commands, main process; "ready" once it sends READY=1 (the
  notifications go to ctl/notify.log, one per line, and MAINPID to ctl/mainpid);
  ctl/reload appears: ExecReload, then "reloaded" after RELOADING=1 and READY=1;
  ctl/stop appears: SIGTERM, wait, ExecStopPost; "stopped" holds
  "main=RC poststop=RC".
Exit status 0 when every step went as systemd expects, else 1 (reason on stderr).
"""
import argparse, os, re, shlex, signal, socket, subprocess, sys, time

CAPS = {"CAP_BPF": "bpf", "CAP_PERFMON": "perfmon", "CAP_NET_ADMIN": "net_admin",
        "CAP_SYS_ADMIN": "sys_admin", "CAP_NET_RAW": "net_raw",
        "CAP_SYS_RESOURCE": "sys_resource", "CAP_DAC_OVERRIDE": "dac_override"}

def parse_unit(path, inst):
    svc, sect = {}, None
    for raw in open(path):
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            sect = line
            continue
        if sect != "[Service]" or "=" not in line:
            continue
        k, v = line.split("=", 1)
        v = v.replace("%i", inst).replace("%%", "%")
        svc.setdefault(k.strip(), []).append(v.strip())
    return svc

def read_env_file(path, env):
    for raw in open(path):
        line = raw.strip()
        if not line or line[0] in "#;" or "=" not in line:
            continue
        k, v = line.split("=", 1)
        v = v.strip()
        if len(v) >= 2 and v[0] == v[-1] and v[0] in "'\"":
            v = v[1:-1]
        env[k.strip()] = v

def unit_env(svc):
    env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
    for line in svc.get("Environment", []):
        for word in shlex.split(line):
            k, v = word.split("=", 1)
            env[k] = v
    for line in svc.get("EnvironmentFile", []):
        opt = line.startswith("-")
        path = line.lstrip("-")
        if not os.path.exists(path):
            if opt:
                continue
            sys.exit("unitrun: missing EnvironmentFile %s" % path)
        read_env_file(path, env)
    return env

def expand(cmd, env, mainpid=None):
    words = []
    if mainpid:
        env = dict(env, MAINPID=str(mainpid))
    for w in shlex.split(cmd):
        m = re.fullmatch(r"\$([A-Za-z_][A-Za-z0-9_]*)", w)
        if m:
            words += env.get(m.group(1), "").split()
            continue
        words.append(re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}",
                            lambda x: env.get(x.group(1), ""), w))
    return words

def prefix(svc):
    caps = " ".join(svc.get("CapabilityBoundingSet", [])).split()
    p = ["setpriv"]
    if caps:
        bset = "-all," + ",".join("+" + CAPS[c] for c in caps)
        p += ["--bounding-set", bset, "--inh-caps", "-all"]
    if svc.get("NoNewPrivileges", ["no"])[-1] == "yes":
        p.append("--no-new-privs")
    return p + ["--"]

def run(svc, env, cmd, mainpid=None):
    ignore = cmd.startswith("-")
    argv = prefix(svc) + expand(cmd.lstrip("-@+!"), env, mainpid)
    rc = subprocess.call(argv, env=env, preexec_fn=umask_fn(svc))
    if rc and not ignore:
        print("unitrun: %s exited %d" % (" ".join(argv), rc), file=sys.stderr)
    return 0 if ignore else rc

def umask_fn(svc):
    um = int(svc.get("UMask", ["0022"])[-1], 8)
    return lambda: os.umask(um)

def wait_file(path, timeout):
    end = time.time() + timeout
    while time.time() < end:
        if os.path.exists(path):
            return True
        time.sleep(0.05)
    return False

class Notify:
    def __init__(self, path, log):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.s.bind(path)
        self.s.settimeout(0.2)
        self.log = open(log, "a")
        self.seen = []

    def wait(self, key, timeout, proc):
        """Until a message with line KEY arrives after the last wait; False at timeout or exit."""
        end = time.time() + timeout
        while time.time() < end:
            try:
                msg = self.s.recv(4096).decode()
            except socket.timeout:
                if proc.poll() is not None:
                    return False
                continue
            lines = msg.split("\n")
            for l in lines:
                self.log.write(l + "\n")
            self.log.flush()
            if key in lines:
                return True
        return False

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("unit"); ap.add_argument("--instance", default="")
    ap.add_argument("--ctl", required=True); ap.add_argument("--timeout", type=float, default=30)
    a = ap.parse_args()
    svc = parse_unit(a.unit, a.instance)
    env = unit_env(svc)
    for d in svc.get("RuntimeDirectory", []):
        os.makedirs("/run/" + d, exist_ok=True)
    for d in svc.get("LogsDirectory", []):
        os.makedirs("/var/log/" + d, exist_ok=True)
    if svc.get("Type", ["simple"])[-1] != "notify":
        sys.exit("unitrun: only Type=notify units")
    ctl = a.ctl
    notify = Notify(os.path.join(ctl, "notify.sock"), os.path.join(ctl, "notify.log"))
    for cmd in svc.get("ExecStartPre", []):
        if run(svc, env, cmd):
            sys.exit(1)
    main_env = dict(env, NOTIFY_SOCKET=os.path.join(ctl, "notify.sock"))
    argv = prefix(svc) + expand(svc["ExecStart"][-1], env)
    proc = subprocess.Popen(argv, env=main_env, preexec_fn=umask_fn(svc))
    with open(os.path.join(ctl, "mainpid"), "w") as f:
        f.write("%d\n" % proc.pid)
    ok = notify.wait("READY=1", a.timeout, proc)
    open(os.path.join(ctl, "ready" if ok else "failed"), "w").close()
    if ok and wait_file(os.path.join(ctl, "reload"), a.timeout):
        for cmd in svc.get("ExecReload", []):
            run({}, env, cmd, proc.pid)
        ok = notify.wait("RELOADING=1", a.timeout, proc) and notify.wait("READY=1", a.timeout, proc)
        open(os.path.join(ctl, "reloaded" if ok else "failed"), "w").close()
    wait_file(os.path.join(ctl, "stop"), a.timeout)
    proc.send_signal(signal.SIGTERM)
    try:
        rc = proc.wait(a.timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        rc = proc.wait()
    post = 0
    for cmd in svc.get("ExecStopPost", []):
        post |= run(svc, env, cmd)
    with open(os.path.join(ctl, "stopped"), "w") as f:
        f.write("main=%d poststop=%d\n" % (rc, post))
    sys.exit(0 if ok and rc == 0 and post == 0 else 1)

if __name__ == "__main__":
    main()
