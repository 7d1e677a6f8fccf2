/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * output.h - the record formats' entry points: the original's tab-separated
 * text (fmt_text.c) and nProbe-style JSON lines (fmt_json.c), both walking
 * the field table of fields.h. Pure C: they write into a caller's buffer.
 */
#ifndef __FLOWMON_OUTPUT_H
#define __FLOWMON_OUTPUT_H

#include <stddef.h>
#include <stdio.h>
#include "flowrec.h"

/* Interface index -> name; NULL or failure prints "UNKNOWN". */
typedef const char *(*ifname_fn)(uint32_t ifindex, char *buf, size_t len);

/* Header line (no trailing newline handling needed: it ends with "\n"). */
int output_text_header(char *buf, size_t len);
/* One record as one line ending in "\n". Returns bytes written or -1 if too small. */
int output_text(const struct flow_record *r, ifname_fn ifname, char *buf, size_t len);
/* One JSON object on one line ending in "\n". */
int output_json(const struct flow_record *r, ifname_fn ifname, char *buf, size_t len);

/*
 * Scaled TCP window of one direction: raw min/max << window scale when both
 * SYNs agreed on scaling (peer: the other direction, NULL if never seen),
 * the SYN's own window kept unscaled.
 */
uint64_t flowrec_win_min(const struct flow_side *s, const struct flow_side *peer);
uint64_t flowrec_win_max(const struct flow_side *s, const struct flow_side *peer);

#endif /* __FLOWMON_OUTPUT_H */
