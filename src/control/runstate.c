// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* runstate.c - the daemon's record counts, pinned beside its table (runstate.h). */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "pinname.h"
#include "runstate.h"

int runstate_path(const char *table_path, char *out, size_t len)
{
	return pin_sibling_path(table_path, FLOWMON_MAP_DAEMON, out, len);
}

/* An array of one runstate, or refuse a pin of another shape under our name. */
static int check_shape(int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	if (info.type != BPF_MAP_TYPE_ARRAY || info.key_size != sizeof(__u32) ||
	    info.value_size != sizeof(struct flowmon_runstate) || info.max_entries != 1)
		return -EINVAL;
	return 0;
}

static int open_pinned(const char *path)
{
	int fd = bpf_obj_get(path), err;

	if (fd < 0)
		return -errno;
	err = check_shape(fd);
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

int runstate_open(const char *table_path)
{
	char path[4200];
	int fd, err;

	if (runstate_path(table_path, path, sizeof(path)))
		return -ENAMETOOLONG;
	fd = open_pinned(path);
	if (fd != -ENOENT)
		return fd;
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, FLOWMON_MAP_DAEMON, sizeof(__u32),
			    sizeof(struct flowmon_runstate), 1, NULL);
	if (fd < 0)
		return -errno;
	if (bpf_obj_pin(fd, path)) {
		err = -errno;
		close(fd);
		/* pinned meanwhile by another run: use that one */
		return err == -EEXIST ? open_pinned(path) : err;
	}
	return fd;
}

int runstate_update(int fd, const struct flowmon_runstate *rs)
{
	__u32 key = 0;

	return bpf_map_update_elem(fd, &key, rs, BPF_ANY) ? -errno : 0;
}

int runstate_read(const char *table_path, struct flowmon_runstate *rs)
{
	char path[4200];
	__u32 key = 0;
	int fd, err = 0;

	if (runstate_path(table_path, path, sizeof(path)))
		return -ENAMETOOLONG;
	fd = open_pinned(path);
	if (fd < 0)
		return fd;
	if (bpf_map_lookup_elem(fd, &key, rs))
		err = -errno;
	close(fd);
	return err;
}

void runstate_remove(const char *table_path)
{
	char path[4200];

	if (!runstate_path(table_path, path, sizeof(path)))
		unlink(path);
}
