#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# install-deps.sh - the Debian 12 packages bpfFlowMon builds, runs and tests
# with. Installs only what is missing; needs root.
set -eu
PKGS=(
	clang llvm make gcc pkg-config libbpf-dev bpftool libelf-dev zlib1g-dev
	libpcap-dev iproute2 iputils-ping
	# the operator's side: --metrics, sd_notify, top
	libmicrohttpd-dev libsystemd-dev libncurses-dev
	# tests and references (every one is required: tests/run.sh fails a
	# check that cannot run, docs/TESTING.md)
	tshark tcpdump tcpreplay nfdump softflowd python3 python3-scapy
	# libFuzzer for clang (make fuzz)
	libclang-rt-dev
	wireshark-common netcat-openbsd procps kmod groff-base man-db
	# tests of the operator's side: terminal, Prometheus, systemd units, the
	# Debian package, the IPFIX collectors
	tmux curl prometheus systemd util-linux logrotate gzip git
	dpkg-dev debhelper fakeroot lintian
	pmacct libfixbuf-tools python3-ipfix
	# the plugin tests: a DNS server and client, TLS server and client
	dnsmasq-base bind9-dnsutils openssl
	# the BCC front end (scripts/tc_flowmon.py, tests/e2e/test_bcc.sh)
	python3-bpfcc python3-pyroute2
)
missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "installing: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	# tshark asks whether non-root users may capture: keep the default (no)
	echo "wireshark-common wireshark-common/install-setuid boolean false" |
		debconf-set-selections
	# packages with a daemon (prometheus, pmacct) must not start it: the tests
	# run their own, in namespaces. policy-rc.d says so to invoke-rc.d.
	policy=""
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		policy=/usr/sbin/policy-rc.d
		printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 0755 "$policy"
	fi
	rc=0
	apt-get update -qq &&
		apt-get install -y -qq --no-install-recommends "${missing[@]}" || rc=$?
	[ -z "$policy" ] || rm -f "$policy"
	exit "$rc"
fi
