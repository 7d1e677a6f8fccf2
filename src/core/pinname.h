/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * pinname.h - names of an instance's pinned maps. The flow table is pinned
 * under the name the user chose (-p/-m NAME, default flowmon_stats); every
 * other pinned map of the object sits next to it under the same prefix:
 * flowmon_stats -> flowmon_counters, flowmon_events, ...; mymap ->
 * mymap_counters, mymap_events, ... So two tables under one pin folder
 * never share counters or ring buffers. Pure: no libbpf here.
 */
#ifndef __FLOWMON_PINNAME_H
#define __FLOWMON_PINNAME_H

#include <stddef.h>

/*
 * Pin name of the object's map map_name for the instance whose table is
 * named table. Returns 0, or -ENAMETOOLONG when out is too small.
 */
int pin_name(const char *table, const char *map_name, char *out, size_t len);

/* dir/name of map_name for the table at table_path (a full path). 0 or -ENAMETOOLONG. */
int pin_sibling_path(const char *table_path, const char *map_name, char *out, size_t len);

#endif /* __FLOWMON_PINNAME_H */
