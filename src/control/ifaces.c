// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* ifaces.c - attach, detach and find our filter on lists of interfaces. */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include "ifaces.h"
#include "log.h"
#include "tchook.h"

static bool hook_on(int hooks, int h)
{
	return hooks & (h ? IFACES_EGRESS : IFACES_INGRESS);
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
		i = out->n;
		for (h = 0; h < 2; h++)
			out->attached[i][h] = tchook_query(p->if_index, h == 0,
							   &out->prog_id[i][h]) == 1;
		if (!out->attached[i][0] && !out->attached[i][1])
			continue;
		out->index[i] = p->if_index;
		snprintf(out->name[i], sizeof(out->name[0]), "%s", p->if_name);
		out->n++;
	}
	if_freenameindex(ifs);
	return 0;
}

/* A self-contained run must not take over a filter that a load left there. */
int ifaces_check_free(const struct iface_list *l, int hooks)
{
	int i, h;

	for (i = 0; i < l->n; i++) {
		for (h = 0; h < 2; h++) {
			if (!hook_on(hooks, h) || tchook_query(l->index[i], h == 0, NULL) != 1)
				continue;
			pr_err("failed to attach to %s: bpfFlowMon is already attached there "
			       "(tc_flowmon.sh load); read its table with -f instead\n",
			       l->name[i]);
			return -EBUSY;
		}
	}
	return 0;
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

int ifaces_detach(struct iface_list *l, int hooks, bool only_created)
{
	struct tchook_holder holder;
	int i, h, err, failed = 0;

	for (i = 0; i < l->n; i++) {
		for (h = 0; h < 2; h++) {
			if (!hook_on(hooks, h))
				continue;
			err = tchook_detach(l->index[i], h == 0, &holder);
			if (err == -EEXIST) {
				report_foreign("detach", l->name[i], h, &holder);
				failed++;
			} else if (err) {
				pr_err("failed to detach from %s %s: %s\n", l->name[i],
				       h ? "egress" : "ingress", strerror(-err));
				failed++;
			}
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

int ifaces_attach(int prog_in, int prog_eg, struct iface_list *l, int hooks)
{
	struct tchook_holder holder;
	int i, h = 0, err = 0;

	for (i = 0; i < l->n && !err; i++) {
		for (h = 0; h < 2 && !err; h++) {
			bool created = false;

			if (!hook_on(hooks, h))
				continue;
			err = tchook_attach(h ? prog_eg : prog_in, l->index[i], h == 0, &created,
					    &holder);
			l->attached[i][h] = !err;
			l->created[i] |= created;
		}
		if (err == -EEXIST)
			report_foreign("attach", l->name[i], h - 1, &holder);
		else if (err)
			pr_err("failed to attach to %s: %s\n", l->name[i], strerror(-err));
	}
	if (err) {
		/* all or nothing: only what this call attached, hooks by hooks */
		for (i = 0; i < l->n; i++)
			for (h = 0; h < 2; h++)
				if (l->attached[i][h])
					tchook_detach(l->index[i], h == 0, NULL);
		for (i = 0; i < l->n; i++)
			if (l->created[i])
				tchook_release_qdisc(l->index[i]);
	}
	return err;
}
