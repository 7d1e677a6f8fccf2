#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# install-deps.sh - the Debian 12 packages bpfFlowMon builds, runs and tests
# with. Installs only what is missing; needs root.
set -eu
PKGS=(
	clang llvm make gcc pkg-config libbpf-dev bpftool libelf-dev zlib1g-dev
	libpcap-dev iproute2 iputils-ping
	# tests and references (every one is required: tests/run.sh fails a
	# check that cannot run, docs/TESTING.md)
	tshark tcpdump tcpreplay nfdump softflowd python3 python3-scapy
	wireshark-common netcat-openbsd procps kmod util-linux groff-base man-db
	# the plugin tests: a DNS server and client, TLS server and client
	dnsmasq-base bind9-dnsutils openssl
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
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
