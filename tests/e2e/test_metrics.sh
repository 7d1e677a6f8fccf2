#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# test_metrics.sh - the self-metrics (--metrics) as Prometheus sees them, and
# IPFIX losses in the log, the metrics and status:
#   in namespace A, tc_flowmon_user run -I <veth A> --metrics 127.0.0.1:PORT
#   with a TCP collector that is closed; a real Prometheus server (Debian's
#   prometheus) in the same namespace scrapes it every second; its HTTP API
#   must return the series with the values an independent source gives:
#   the capacity we asked for, the non-IP frames and UDP flows the test
#   sent, the records written (= JSON lines), IPFIX records dropped (= every
#   record: the collector is closed) and send errors > 0; promtool check
#   metrics reports nothing; the log names the collector and what it lost;
#   status (pinned table) shows the collector down with its records not sent.
. "$(dirname "$0")/lib.sh"

cleanup() {
	fm_cleanup
}
trap cleanup EXIT

MPORT=9464
PPORT=9090
CPORT=4799	# nobody listens: every IPFIX record is lost
UPORT=7200

fm_init
for t in prometheus promtool curl; do
	command -v "$t" >/dev/null 2>&1 || tap_skip_all "missing $t"
done
fm_pair || tap_bail "namespaces and veth pair"
fm_mntns "$NS_A" || tap_bail "persistent mount namespace for $NS_A"

# Prometheus' HTTP API: one value of an instant query (empty when no series).
prom_value() {		# promql
	fm_in "$NS_A" curl -s -G --max-time 5 "http://127.0.0.1:$PPORT/api/v1/query" \
		--data-urlencode "query=$1" | "$FM_PY" -c '
import json, sys
r = json.load(sys.stdin)["data"]["result"]
print(r[0]["value"][1] if r else "")'
}

prom_is() {		# promql expected: the API answers expected (bounded wait: scrapes are every second)
	local i v

	for ((i = 0; i < 100; i++)); do
		v=$(prom_value "$1")
		[ "$v" = "$2" ] && break
		sleep 0.1
	done
	echo "$v"
}

# IPv4 only on the veth: no MLD reports or router solicitations the test did not send
for ns in "$NS_A" "$NS_B"; do
	fm_in "$ns" sysctl -qw "net.ipv6.conf.all.disable_ipv6=1" || tap_bail "IPv6 off in $ns"
done
fm_bg_ready "$NS_B" "$FM_TMP/sink.ready" udp-sink --bind "$IP4_B" --port "$UPORT" \
	--out "$FM_TMP/sink.json" || tap_bail "UDP sink in $NS_B"
SINK=$FM_BG_PID

# --- the meter: a pinned table (so status sees the run), the daemon on it ---
OUT=$FM_TMP/flows.json
fm_mnt "$NS_A" "$FM_USER" load -q -I "$VETH_A" --max-flows 2048 || tap_bail "load -I $VETH_A"
# not through a shell function: $! must be the daemon itself
nsenter --net="/run/netns/$NS_A" --mount="$FM_TMP/mnt/$NS_A" -- "$FM_USER" run -i 1 --idle-timeout 1 -j -o "$OUT" -l "$FM_TMP/meter.log" \
	--metrics "127.0.0.1:$MPORT" -x "tcp://127.0.0.1:$CPORT" 2>"$FM_TMP/meter.err" &
METER=$!
FM_PIDS+=("$METER")
metrics_up() {
	fm_in "$NS_A" curl -s --max-time 2 -o /dev/null "http://127.0.0.1:$MPORT/metrics"
}
fm_wait 20 metrics_up || tap_bail "the metrics endpoint answers" "$(cat "$FM_TMP/meter.err")"

# --- Prometheus, scraping every second ---
cat >"$FM_TMP/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: bpfflowmon
    static_configs:
      - targets: ['127.0.0.1:$MPORT']
EOF
fm_in "$NS_A" prometheus --config.file="$FM_TMP/prometheus.yml" \
	--storage.tsdb.path="$FM_TMP/tsdb" --web.listen-address="127.0.0.1:$PPORT" \
	>"$FM_TMP/prometheus.log" 2>&1 &
FM_PIDS+=("$!")
prom_ready() {
	fm_in "$NS_A" curl -sf --max-time 2 -o /dev/null "http://127.0.0.1:$PPORT/-/ready"
}
fm_wait 60 prom_ready || tap_bail "Prometheus is ready" "$(tail -5 "$FM_TMP/prometheus.log")"
tap_is "$(prom_is 'up{job="bpfflowmon"}' 1)" 1 "Prometheus scrapes the endpoint (up == 1)"

# --- what an independent source knows: 5 non-IP frames, 3 UDP flows of 4 datagrams ---
fm_in "$NS_A" "$FM_PY" - "$VETH_A" <<'PYEOF'
import socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((sys.argv[1], 0))
for i in range(5):      # local experimental EtherType 0x88b5: not IP
    s.send(b"\x02\x00\xc6\x12\x00\x02" + b"\x02\x00\xc6\x12\x00\x01" + b"\x88\xb5" + bytes(46))
PYEOF
for sport in 42001 42002 42003; do
	fm_in "$NS_A" "$FM_PY" "$FM_TMP/fmtool.py" udp-send --dst "$IP4_B" --dport "$UPORT" \
		--sport "$sport" --count 4 --size 50
done
records() { cat "$OUT" 2>/dev/null | grep -c .; }
fm_wait 20 sh -c "[ \$(grep -c . '$OUT' 2>/dev/null) -ge 3 ]"
tap_is "$(records)" 3 "3 JSON records (the 3 flows ended idle)"
for sport in 42001 42002 42003; do
	read -r -a r < <(fm_sum --proto 17 --src "$IP4_A" --dst "$IP4_B" --sport "$sport" \
		--dport "$UPORT" "$OUT")
	tap_is "${r[0]}/${r[1]}" 1/4 "the flow from port $sport: one record of 4 packets"
done
kill -TERM "$SINK" 2>/dev/null
fm_bg_wait "$SINK" 5
tap_is "$("$FM_PY" -c 'import json,sys; print(sum(json.load(open(sys.argv[1])).values()))' \
	"$FM_TMP/sink.json")" 12 "the receiver got the 12 datagrams"

tap_is "$(prom_is bpfflowmon_table_capacity_entries 2048)" 2048 \
	"bpfflowmon_table_capacity_entries = --max-flows 2048"
tap_is "$(prom_is bpfflowmon_kernel_non_ip_packets_total 5)" 5 \
	"bpfflowmon_kernel_non_ip_packets_total = the 5 frames sent"
tap_is "$(prom_is 'bpfflowmon_records_written_total{sink="file"}' 3)" 3 \
	"bpfflowmon_records_written_total{sink=\"file\"} = 3 JSON lines"
tap_is "$(prom_is "bpfflowmon_ipfix_records_dropped_total{collector=\"tcp://127.0.0.1:$CPORT\"}" 3)" 3 \
	"bpfflowmon_ipfix_records_dropped_total = 3: the closed collector got none"
tap_is "$(prom_is "bpfflowmon_ipfix_records_sent_total{collector=\"tcp://127.0.0.1:$CPORT\"}" 0)" 0 \
	"bpfflowmon_ipfix_records_sent_total = 0"
tap_cmp "$(prom_value "bpfflowmon_ipfix_send_errors_total{collector=\"tcp://127.0.0.1:$CPORT\"}")" \
	-ge 1 "bpfflowmon_ipfix_send_errors_total counts the refused connections"
tap_is "$(prom_is "bpfflowmon_ipfix_collector_up" 0)" 0 "bpfflowmon_ipfix_collector_up = 0"
tap_cmp "$(prom_value 'count({__name__=~"bpfflowmon_kernel_.*"})')" -eq 12 \
	"every kernel counter is a series (12)"
tap_cmp "$(prom_value 'bpfflowmon_scan_duration_seconds_count')" -ge 1 "scan durations are there"

fm_in "$NS_A" curl -s --max-time 5 "http://127.0.0.1:$MPORT/metrics" >"$FM_TMP/metrics.txt"
promtool check metrics <"$FM_TMP/metrics.txt" >"$FM_TMP/promtool.out" 2>&1
tap_is "$?/$(wc -c <"$FM_TMP/promtool.out")" 0/0 "promtool check metrics reports nothing" ||
	tap_diag "$(head -10 "$FM_TMP/promtool.out")"

# --- status: the daemon's report, read back ---
fm_mnt "$NS_A" "$FM_USER" status >"$FM_TMP/status.txt" 2>&1
tap_ok "status: the collector is down and its 3 records were not sent" \
	grep -q "IPFIX tcp://127.0.0.1:$CPORT: down, 0 records sent, 3 not sent" "$FM_TMP/status.txt" ||
	tap_diag "$(cat "$FM_TMP/status.txt")"
fm_mnt "$NS_A" "$FM_USER" status -j | "$FM_PY" -c '
import json, sys
d = json.load(sys.stdin)["daemon"]["ipfix"][0]
print(d["up"], d["records_dropped"])' >"$FM_TMP/status.json.out" 2>&1
tap_is "$(cat "$FM_TMP/status.json.out")" "False 3" "status -j: up false, records_dropped 3"

# --- the log, and the summary at exit ---
tap_ok "the log names the collector and the records it did not get" \
	grep -q "IPFIX collector tcp://127.0.0.1:$CPORT: .* records not sent" "$FM_TMP/meter.log"
fm_meter_stop "$METER"
tap_is "$?" 0 "the meter exits 0 after SIGTERM"
tap_ok "at exit the log sums it up: 0 sent, 3 not sent" \
	grep -q "IPFIX collector tcp://127.0.0.1:$CPORT: 0 records sent, 3 not sent" "$FM_TMP/meter.log"
fm_mnt "$NS_A" "$FM_USER" status >"$FM_TMP/status2.txt" 2>&1
tap_ok "status finds no daemon once it stopped" grep -q "^daemon: none" "$FM_TMP/status2.txt"
fm_mnt "$NS_A" "$FM_USER" purge -q

tap_done
