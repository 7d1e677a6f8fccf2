/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * plugins.bpf.h - the plugin hook of the entry points (include/flowmon/plugin.h,
 * docs/DESIGN.md "Plugins").
 *
 * After the meter has counted a packet in a record, the entry point runs
 * the hook: while no plugin is loaded it is one load of a flag and a
 * branch; else it writes the packet's struct fm_plugin_ctx into this CPU's
 * slot of flowmon_plugin_ctx and tail-calls the first filled slot of the
 * hook's program array. A tail call never returns: the hook is the last
 * thing an entry point does, and the last plugin's return value (always
 * TC_ACT_UNSPEC or XDP_PASS, FLOWMON_PLUGIN) is the entry point's.
 *
 * Programs on one CPU do not nest (TC and XDP run with bottom halves off),
 * so one context per CPU is enough. The datapath's counting is finished
 * before the hook: a plugin cannot change what the meter counts, and the
 * offline engine, which runs no plugin, writes the same records.
 */
#ifndef __FLOWMON_PLUGINS_BPF_H
#define __FLOWMON_PLUGINS_BPF_H

/*
 * The program arrays and the per-CPU context (include/flowmon/plugin.h),
 * pinned: `plugin load` in another process fills a slot of the running
 * meter, whose maps the plugins' programs reuse. The kernel empties a
 * program array when its last file descriptor and pin are gone.
 */
FLOWMON_PLUGIN_MAPS(__uint(pinning, LIBBPF_PIN_BY_NAME););

/* What is loaded in each slot: userland's record of the plugins (never read here). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FLOWMON_PLUGIN_SLOTS);
	__type(key, __u32);
	__type(value, struct flowmon_plugin_slot);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} flowmon_plugin_reg SEC(".maps");

/*
 * The guard: the number of plugins loaded. A global in a data section of
 * its own (an array map of one value that the loader pins as
 * flowmon_plugin_on), so the test is one load, not a map lookup.
 */
__u32 flowmon_plugin_on SEC(".data.plugins") = 0;

/*
 * The packet's context, from what the datapath left in m: called by the
 * global accounting function, and by the entry points after the fast path
 * (which sets l4_off and frag first). 1 when it is ready. Global: verified
 * once, not once for each way the accounting can end.
 */
__noinline int plugin_ctx_fill(const struct fm_meta *m)
{
	struct fm_plugin_ctx *c;
	__u32 zero = 0, hdr;

	c = bpf_map_lookup_elem(&flowmon_plugin_ctx, &zero);
	if (!c || !m)
		return 0;
	hdr = m->hdr_len;
	__builtin_memcpy(&c->key, &m->key, sizeof(c->key));
	c->first_seen = m->rec_first;
	c->time = m->when;
	c->ifindex = m->ifindex;
	c->l3_len = m->l3_len;
	c->payload_len = m->l3_len > hdr ? m->l3_len - hdr : 0;
	c->seq = m->is_tcp ? m->seq : 0;
	c->l3_off = m->l3_off;
	c->l4_off = m->l4_off;
	c->payload_off = m->l3_off + hdr;
	c->tcp_flags = m->is_tcp ? m->tcp_flags : 0;
	c->dir = m->dir;
	c->hook = m->dir == FLOW_DIR_XDP ? FM_PLUGIN_XDP : FM_PLUGIN_TC;
	c->frag = m->frag;
	c->time_exact = FM_CFG.replay_mode || FM_CFG.precise_clock ||
			(m->tstamp_mono && m->tstamp == m->when);
	c->replay = FM_CFG.replay_mode;
	c->next = 0;
	return 1;
}

/* The fast path parses plain IPv4 (no options) and IPv6 (no extension header) only. */
static __always_inline void plugin_fast_meta(struct fm_meta *m)
{
	m->l4_off = m->l3_off + (m->key.ipver == 4 ? 20 : 40);
	m->frag = FRAG_NONE;
}

/*
 * Hand a counted packet to the plugins: fill its context, then tail-call
 * the first filled slot (an empty slot's tail call falls through to the
 * next). Returns only when every slot is empty. fast: the fast path parsed
 * the packet (fast.h), which leaves l4_off and (established flows) frag unset.
 */
static __always_inline void plugins_run(void *ctx, void *progs, struct fm_meta *m, int fast)
{
	struct fm_plugin_ctx *c;
	__u32 zero = 0, i;

	if (fast)
		plugin_fast_meta(m);
	if (!plugin_ctx_fill(m))
		return;
	c = bpf_map_lookup_elem(&flowmon_plugin_ctx, &zero);
	if (!c)
		return;
#pragma unroll
	for (i = 0; i < FLOWMON_PLUGIN_SLOTS; i++) {
		c->next = i + 1;
		bpf_tail_call(ctx, progs, i);
	}
}

#endif /* __FLOWMON_PLUGINS_BPF_H */
