// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* ifaces.c - attach, detach and find ours on lists of interfaces: tcx, clsact or XDP. */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "ifaces.h"
#include "links.h"
#include "log.h"
#include "opts.h"
#include "tchook.h"
#include "tcx.h"
#include "xdphook.h"

#define SLOT_XDP 2	/* link_fd[i][SLOT_XDP] */

static const char *const hook_names[] = { "ingress", "egress", "xdp" };

const char *ifaces_hook_name(int slot)
{
	return slot >= 0 && slot <= SLOT_XDP ? hook_names[slot] : "?";
}

const char *ifaces_hooks_str(int hooks)
{
	return hooks == HOOK_INGRESS ? "ingress" :
	       hooks == HOOK_EGRESS ? "egress" : "ingress, egress";
}

const char *ifaces_mech_str(int mech)
{
	return mech == TC_MECH_TCX ? "tcx" : mech == TC_MECH_CLSACT ? "clsact" : "auto";
}

/* Ours on a TC hook: a tcx link, else our clsact filter. 1 (with how), 0, or -errno. */
static int tc_query(int ifindex, bool ingress, uint32_t *prog_id, uint8_t *mech)
{
	int r = tcx_find_ours(ifindex, ingress, prog_id, NULL);

	if (r == 1) {
		*mech = TC_MECH_TCX;
		return 1;
	}
	r = tchook_query(ifindex, ingress, prog_id);
	if (r == 1)
		*mech = TC_MECH_CLSACT;
	return r;
}

static bool hook_on(int hooks, int h)
{
	return hooks & (h ? HOOK_EGRESS : HOOK_INGRESS);
}

/* Every unknown name in one line: "failed to find interface a, b: No such device". */
static void report_unknown(const char *unknown, int errnum)
{
	pr_err("failed to find interface %s: %s\n", unknown, strerror(errnum));
}

int ifaces_parse(const char *list, struct iface_list *out)
{
	char buf[4096], unknown[4096] = "", *tok, *save = NULL, *at;
	size_t ulen = 0;
	int errnum = 0;

	memset(out, 0, sizeof(*out));
	if (!list || snprintf(buf, sizeof(buf), "%s", list) >= (int)sizeof(buf))
		return -EINVAL;
	for (tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
		at = strchr(tok, '@');	/* "veth0@if5" as `ip link` prints it */
		if (at)
			*at = '\0';
		if (out->n == IFACES_MAX || strlen(tok) >= sizeof(out->name[0])) {
			pr_err("failed to use interface %s: too many or name too long\n", tok);
			return -EINVAL;
		}
		out->index[out->n] = if_nametoindex(tok);
		if (!out->index[out->n]) {
			errnum = errno;
			ulen += snprintf(unknown + ulen, sizeof(unknown) - ulen, "%s%s",
					 ulen ? ", " : "", tok);
			ulen = ulen < sizeof(unknown) ? ulen : sizeof(unknown) - 1;
			continue;
		}
		snprintf(out->name[out->n], sizeof(out->name[0]), "%s", tok);
		out->n++;
	}
	if (errnum) {
		report_unknown(unknown, errnum);
		return -ENODEV;
	}
	return out->n ? 0 : -EINVAL;
}

int ifaces_attached(struct iface_list *out)
{
	struct if_nameindex *ifs = if_nameindex(), *p;
	int h, i;

	memset(out, 0, sizeof(*out));
	if (!ifs)
		return -errno;
	for (p = ifs; p->if_index && out->n < IFACES_MAX; p++) {
		int mode = XDP_MODE_AUTO;

		i = out->n;
		for (h = 0; h < 2; h++)
			out->attached[i][h] = tc_query(p->if_index, h == 0, &out->prog_id[i][h],
						       &out->mech[i][h]) == 1;
		out->xdp[i] = xdphook_query(p->if_index, &out->xdp_prog_id[i], &mode) == 1;
		out->xdp_mode[i] = mode;
		if (!out->attached[i][0] && !out->attached[i][1] && !out->xdp[i])
			continue;
		out->index[i] = p->if_index;
		snprintf(out->name[i], sizeof(out->name[0]), "%s", p->if_name);
		out->n++;
	}
	if_freenameindex(ifs);
	return 0;
}

static bool id_in(uint32_t id, const uint32_t *ids, int n)
{
	while (n-- > 0)
		if (ids[n] == id)
			return true;
	return false;
}

/* Is prog_id one of sel's? Unreadable (no CAP_SYS_ADMIN): yes, as before tables. */
static bool prog_selected(uint32_t prog_id, const struct table_sel *sel)
{
	uint32_t ids[TABLE_SEL_MAX];
	int i, n = links_prog_map_ids(prog_id, ids, TABLE_SEL_MAX);

	if (n < 0)
		return n == -EPERM;
	if (sel->id)
		return id_in(sel->id, ids, n);
	for (i = 0; i < n; i++)
		if (id_in(ids[i], sel->others, sel->n_others))
			return false;
	return true;
}

void ifaces_keep_table(struct iface_list *l, const struct table_sel *sel)
{
	int i, h, n = 0;

	for (i = 0; i < l->n; i++) {
		for (h = 0; h < 2; h++)
			l->attached[i][h] = l->attached[i][h] &&
					    prog_selected(l->prog_id[i][h], sel);
		l->xdp[i] = l->xdp[i] && prog_selected(l->xdp_prog_id[i], sel);
		if (!l->attached[i][0] && !l->attached[i][1] && !l->xdp[i])
			continue;
		if (n != i) {	/* entry i down to n (ifaces_attached holds no link) */
			l->index[n] = l->index[i];
			memcpy(l->name[n], l->name[i], sizeof(l->name[0]));
			memcpy(l->attached[n], l->attached[i], sizeof(l->attached[0]));
			memcpy(l->prog_id[n], l->prog_id[i], sizeof(l->prog_id[0]));
			memcpy(l->mech[n], l->mech[i], sizeof(l->mech[0]));
			l->xdp[n] = l->xdp[i];
			l->xdp_mode[n] = l->xdp_mode[i];
			l->xdp_prog_id[n] = l->xdp_prog_id[i];
		}
		n++;
	}
	l->n = n;
	l->only_marked = true;
}

/* A self-contained run must not take over a filter that a load left there. */
int ifaces_check_free(const struct iface_list *l, int hooks)
{
	int i, h;

	uint8_t mech;

	for (i = 0; i < l->n; i++) {
		for (h = 0; h < 3; h++) {
			if (!hook_on(hooks, h == 1))
				continue;
			if (h < 2 ? tc_query(l->index[i], h == 0, NULL, &mech) != 1 :
				    xdphook_query(l->index[i], NULL, NULL) != 1)
				continue;
			pr_err("failed to attach to %s: bpfFlowMon is already attached there "
			       "(tc_flowmon.sh load); read its table with -f instead\n",
			       l->name[i]);
			return -EBUSY;
		}
	}
	return 0;
}

/* A link this process holds goes with its fd (unless a pin holds it too). */
static void drop_held(struct iface_list *l, int i, int slot)
{
	if (l->link_fd[i][slot] > 0)
		close(l->link_fd[i][slot]);
	l->link_fd[i][slot] = 0;
}

/* Another party's filter holds our slot: one line saying what, and that it stays. */
static void report_foreign(const char *verb, const char *ifname, int h,
			   const struct tchook_holder *holder)
{
	char what[128];

	tchook_describe(holder, what, sizeof(what));
	pr_err("failed to %s %s %s %s: priority %d (ours, with handle 0x%x) holds %s, not ours; "
	       "left in place\n", verb, verb[0] == 'a' ? "to" : "from", ifname,
	       h ? "egress" : "ingress", FLOWMON_TC_PRIO, FLOWMON_TC_HANDLE, what);
}

/*
 * Ours on one TC hook, whichever way it was attached. 0 or -errno;
 * -EEXIST (said already) when another party's filter holds our clsact slot.
 */
static int detach_tc(struct iface_list *l, int i, int h)
{
	struct tchook_holder holder;
	int err;

	drop_held(l, i, h);
	err = tcx_detach_ours(l->index[i], h == 0);
	if (err > 0) {
		/* ours was a tcx link: a foreign filter in the clsact slot is no clash */
		err = tchook_detach(l->index[i], h == 0, NULL);
		return err == -EEXIST ? 0 : err;
	}
	if (err == 0)
		err = tchook_detach(l->index[i], h == 0, &holder);
	if (err == -EEXIST)
		report_foreign("detach", l->name[i], h, &holder);
	return err < 0 ? err : 0;
}

static int detach_xdp(struct iface_list *l, int i)
{
	int err;

	drop_held(l, i, SLOT_XDP);
	err = xdphook_detach_ours(l->index[i]);
	l->xdp[i] = false;
	if (err == -EBUSY)
		pr_err("failed to detach from %s xdp: our program is there without a link "
		       "(ip link set dev %s xdp off removes it)\n", l->name[i], l->name[i]);
	else if (err < 0)
		pr_err("failed to detach from %s xdp: %s\n", l->name[i], strerror(-err));
	return err < 0 ? err : 0;
}

int ifaces_detach(struct iface_list *l, int hooks, bool only_created)
{
	int i, h, err, failed = 0;

	for (i = 0; i < l->n; i++) {
		if (hook_on(hooks, 0) && (!l->only_marked || l->xdp[i]) && detach_xdp(l, i))
			failed++;
		for (h = 0; h < 2; h++) {
			if (!hook_on(hooks, h) || (l->only_marked && !l->attached[i][h]))
				continue;
			err = detach_tc(l, i, h);
			if (err && err != -EEXIST) {
				pr_err("failed to detach from %s %s: %s\n", l->name[i],
				       h ? "egress" : "ingress", strerror(-err));
				failed++;
			}
			failed += err == -EEXIST;
			l->attached[i][h] = false;
		}
		if (only_created && !l->created[i])
			continue;
		if (tchook_release_qdisc(l->index[i]) == 1)
			pr_verbose("removed the empty clsact qdisc of %s\n", l->name[i]);
		l->created[i] = false;
	}
	return failed;
}

static bool use_tcx(int mech)
{
	return mech == TC_MECH_TCX || (mech == TC_MECH_AUTO && tcx_supported());
}

/* A new link: the caller's to hold (run -I), or pinned beside the table (load). */
static int keep_link(const struct ifaces_cfg *c, struct iface_list *l, int i, int slot, int fd)
{
	int err;

	if (!c->pin_dir) {
		l->link_fd[i][slot] = fd;
		return 0;
	}
	err = links_pin(fd, c->pin_dir, c->table, l->name[i], hook_names[slot]);
	if (err)
		pr_err("failed to pin the %s link of %s in %s: %s\n", hook_names[slot],
		       l->name[i], c->pin_dir, strerror(-err));
	close(fd);	/* the pin holds it now; without one, the link goes */
	return err;
}

/*
 * Ours already on the hook, as a link: the new program in it, atomically
 * (a second load replaces, never doubles). 1 done, 0 none there, -errno.
 */
static int update_link(uint32_t link_id, int prog_fd, int *fd)
{
	int err = 0;

	*fd = bpf_link_get_fd_by_id(link_id);
	if (*fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (bpf_link_update(*fd, prog_fd, NULL)) {
		err = -errno;
		close(*fd);
		*fd = -1;
	}
	return err ? err : 1;
}

static int attach_tcx(const struct ifaces_cfg *c, struct iface_list *l, int i, int h)
{
	int prog = h ? c->prog_eg : c->prog_in, fd = -1, err;
	uint32_t link_id;

	err = tcx_find_ours(l->index[i], h == 0, NULL, &link_id);
	if (err == 1)
		err = update_link(link_id, prog, &fd);
	if (err < 0)
		return err;
	if (!err) {
		/* a clsact filter of ours there would count each packet twice */
		err = tchook_detach(l->index[i], h == 0, NULL);
		if (err == -EEXIST)
			err = 0;	/* another party's filter: no clash with a tcx link */
		fd = err ? err : tcx_attach(prog, l->index[i], h == 0);
		if (fd < 0)
			return fd;
	}
	l->mech[i][h] = TC_MECH_TCX;
	return keep_link(c, l, i, h, fd);
}

static int attach_clsact(const struct ifaces_cfg *c, struct iface_list *l, int i, int h)
{
	struct tchook_holder holder;
	bool created = false;
	int err;

	err = tcx_detach_ours(l->index[i], h == 0);
	if (err >= 0)
		err = tchook_attach(h ? c->prog_eg : c->prog_in, l->index[i], h == 0, &created,
				    &holder);
	if (err == -EEXIST)
		report_foreign("attach", l->name[i], h, &holder);
	l->created[i] |= created;
	l->mech[i][h] = TC_MECH_CLSACT;
	return err < 0 ? err : 0;
}

static int attach_xdp(const struct ifaces_cfg *c, struct iface_list *l, int i)
{
	int fd, err, mode = XDP_MODE_AUTO;

	err = xdphook_check_l2(l->index[i]);
	if (err == -EPFNOSUPPORT) {
		pr_err("failed to attach XDP to %s: no Ethernet header on this device "
		       "(an L3 device such as tun or WireGuard): use the TC hook\n", l->name[i]);
		return err;
	}
	if (!err && xdphook_query(l->index[i], NULL, &mode) == 1) {
		/* ours already there: the new program in its link */
		err = xdphook_detach_ours(l->index[i]) < 0 ? -EBUSY : 0;
		mode = c->xdp_mode;
	}
	if (!err) {
		/* TC ingress of ours would only see XDP's packets again: XDP replaces it */
		err = detach_tc(l, i, 0);
		l->attached[i][0] = false;
	}
	if (err)
		return err;
	fd = xdphook_attach(c->prog_xdp, l->index[i], c->xdp_mode, &mode);
	if (fd < 0)
		return fd;
	l->xdp[i] = true;
	l->xdp_mode[i] = mode;
	return keep_link(c, l, i, SLOT_XDP, fd);
}

/* One hook of one interface: slot 0 ingress (TC or XDP), 1 egress. */
static int attach_one(const struct ifaces_cfg *c, struct iface_list *l, int i, int h)
{
	int err;

	if (h == 0 && c->xdp)
		return attach_xdp(c, l, i);
	if (h == 0 && l->xdp[i] == false && xdphook_query(l->index[i], NULL, NULL) == 1) {
		err = detach_xdp(l, i);	/* TC ingress replaces our XDP */
		if (err)
			return err;
	}
	err = use_tcx(c->mech) ? attach_tcx(c, l, i, h) : attach_clsact(c, l, i, h);
	l->attached[i][h] = !err;
	return err;
}

static void roll_back(struct iface_list *l, const struct ifaces_cfg *c)
{
	int i, h;

	/* all or nothing: only what this call attached, hooks by hooks */
	for (i = 0; i < l->n; i++) {
		if (l->xdp[i])
			detach_xdp(l, i);
		for (h = 0; h < 2; h++)
			if (l->attached[i][h])
				detach_tc(l, i, h);
	}
	for (i = 0; i < l->n; i++)
		if (l->created[i])
			tchook_release_qdisc(l->index[i]);
	if (c->pin_dir)
		links_unpin_detached(c->pin_dir, c->table);
}

int ifaces_attach_cfg(struct iface_list *l, const struct ifaces_cfg *c)
{
	int i, h, failed = 0, err = 0;

	if (c->mech == TC_MECH_TCX && !tcx_supported()) {
		pr_err("failed to attach with tcx: this kernel has no tcx (6.6 or later has it); "
		       "use --tc-mech clsact\n");
		return -EOPNOTSUPP;
	}
	for (i = 0; i < l->n && !err; i++) {
		for (h = 0; h < 2 && !err; h++) {
			failed = h == 0 && c->xdp ? SLOT_XDP : h;
			if (hook_on(c->hooks, h) || (h == 0 && c->xdp))
				err = attach_one(c, l, i, h);
		}
		/* an XDP refusal for want of an Ethernet header, a foreign filter: said */
		if (err && err != -EPFNOSUPPORT && err != -EEXIST)
			pr_err("failed to attach to %s %s: %s\n", l->name[i], hook_names[failed],
			       strerror(-err));
	}
	if (err)
		roll_back(l, c);
	return err;
}

void ifaces_report(const struct iface_list *l, const char *what)
{
	char buf[128];
	int i, h, n;

	for (i = 0; i < l->n; i++) {
		n = 0;
		buf[0] = '\0';
		if (l->xdp[i])
			n += snprintf(buf + n, sizeof(buf) - n, " xdp (%s)",
				      xdphook_mode_str(l->xdp_mode[i]));
		for (h = 0; h < 2 && n < (int)sizeof(buf); h++)
			if (l->attached[i][h])
				n += snprintf(buf + n, sizeof(buf) - n, " %s (%s)", hook_names[h],
					      ifaces_mech_str(l->mech[i][h]));
		pr_info("%s %s:%s\n", what, l->name[i], buf);
	}
}
