// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* links.c - our BPF links: ownership by program name, pins beside the table. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include "bpfcompat.h"
#include "flowmon.h"
#include "links.h"
#include "pinname.h"

#define LINK_WORD "link"
#define LINKS_DIR "flowmon_links"	/* beside the table's folder */

/* <parent of pin_dir>/flowmon_links: the table's folder keeps only maps (iproute2's). */
static int links_dir(const char *pin_dir, char *out, size_t len)
{
	const char *slash = strrchr(pin_dir, '/');
	int dlen = slash && slash != pin_dir ? (int)(slash - pin_dir) : 0;

	if (snprintf(out, len, "%.*s/%s", dlen, pin_dir, LINKS_DIR) >= (int)len)
		return -ENAMETOOLONG;
	return 0;
}

bool links_name_is_ours(const char *prog_name)
{
	return !strcmp(prog_name, FLOWMON_PROG_INGRESS) ||
	       !strcmp(prog_name, FLOWMON_PROG_EGRESS) || !strcmp(prog_name, FLOWMON_PROG_XDP);
}

bool links_prog_is_ours(uint32_t prog_id)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int fd = bpf_prog_get_fd_by_id(prog_id);
	bool ours;

	if (fd < 0)
		return false;
	ours = !bpf_obj_get_info_by_fd(fd, &info, &len) && links_name_is_ours(info.name);
	close(fd);
	return ours;
}

int links_prog_map_ids(uint32_t prog_id, uint32_t *ids, uint32_t max)
{
	__u32 len = sizeof(struct bpf_prog_info);
	struct bpf_prog_info info = {};
	int fd = bpf_prog_get_fd_by_id(prog_id), err = 0;

	if (fd < 0)
		return -errno;
	info.nr_map_ids = max;
	info.map_ids = (__u64)(unsigned long)ids;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		err = -errno;
	close(fd);
	return err ? err : (int)(info.nr_map_ids < max ? info.nr_map_ids : max);
}

static int link_info(int fd, struct fm_link_info *info)
{
	__u32 len = sizeof(*info);

	memset(info, 0, sizeof(*info));
	return bpf_obj_get_info_by_fd(fd, info, &len) ? -errno : 0;
}

int links_detach_id(uint32_t link_id)
{
	int fd = bpf_link_get_fd_by_id(link_id), err;

	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	err = bpf_link_detach(fd) ? -errno : 0;
	close(fd);
	return err;
}

/* "<prefix>_link_": the instance's prefix as pinname.c makes it for its maps. */
static int pin_prefix(const char *table, char *out, size_t len)
{
	return pin_name(table, "flowmon_" LINK_WORD "_", out, len);
}

int links_pin(int fd, const char *pin_dir, const char *table, const char *ifname,
	      const char *hook)
{
	char prefix[NAME_MAX + 1], dir[PATH_MAX], path[PATH_MAX + NAME_MAX];
	int err = pin_prefix(table, prefix, sizeof(prefix));

	if (!err)
		err = links_dir(pin_dir, dir, sizeof(dir));
	if (err)
		return err;
	if (mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	if (snprintf(path, sizeof(path), "%s/%s%s_%s", dir, prefix, ifname, hook) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	unlink(path);	/* a link an earlier load pinned there: replaced */
	return bpf_obj_pin(fd, path) ? -errno : 0;
}

int links_detach_pinned(const char *pin_dir, const char *table, const char *ifname,
			const char *hook)
{
	char prefix[NAME_MAX + 1], dir[PATH_MAX], path[PATH_MAX + NAME_MAX];
	int fd, err = pin_prefix(table, prefix, sizeof(prefix));

	if (!err)
		err = links_dir(pin_dir, dir, sizeof(dir));
	if (err)
		return err;
	if (snprintf(path, sizeof(path), "%s/%s%s_%s", dir, prefix, ifname, hook) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	err = bpf_link_detach(fd) ? -errno : 1;
	close(fd);
	if (err > 0)
		unlink(path);
	return err;
}

int links_unpin_detached(const char *pin_dir, const char *table)
{
	char prefix[NAME_MAX + 1], dir[PATH_MAX], path[PATH_MAX + NAME_MAX];
	struct fm_link_info info;
	struct dirent *de;
	int n = 0, fd;
	DIR *d;

	if (pin_prefix(table, prefix, sizeof(prefix)) || links_dir(pin_dir, dir, sizeof(dir)))
		return 0;
	d = opendir(dir);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, prefix, strlen(prefix)) ||
		    snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= (int)sizeof(path))
			continue;
		fd = bpf_obj_get(path);
		if (fd >= 0 && !link_info(fd, &info) && info.ifindex) {
			close(fd);
			continue;	/* still attached */
		}
		if (fd >= 0)
			close(fd);
		if (!unlink(path))
			n++;
	}
	closedir(d);
	rmdir(dir);	/* only when empty: other instances' links stay */
	return n;
}
