// SPDX-License-Identifier: MIT
/* memory = auto: QEMU's guest RAM from its own fd table: see ram_discover.h */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "ram_discover.h"

/* Shared file mappings of one QEMU worth remembering: RAM, ROMs, ... */
#define MAX_SHARED	64

struct shared_map {
	unsigned int dev_major, dev_minor;
	uint64_t ino;
	uint64_t len;			/* all its shared mappings together */
};

int ram_discover_parse_maps_line(char *line, struct maps_entry *e)
{
	uint64_t off;
	char perms[5];
	size_t n = strlen(line);
	int pos = -1;

	if (n && line[n - 1] == '\n')
		line[--n] = '\0';
	if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %4s %" SCNx64 " %x:%x %"
		   SCNu64 "%n", &e->start, &e->end, perms, &off,
		   &e->dev_major, &e->dev_minor, &e->ino, &pos) != 7 || pos < 0 ||
	    strlen(perms) != 4 || e->end <= e->start)
		return -EINVAL;
	if (line[pos] && line[pos] != ' ')
		return -EINVAL;
	e->shared = perms[3] == 's';
	e->path = line + pos + strspn(line + pos, " ");
	return 0;
}

static int refuse(const char **why, const char *reason, int err)
{
	*why = reason;
	return err;
}

/* Every shared, file-backed mapping of pid, by device and inode. */
static int maps_read(pid_t pid, struct shared_map *out, unsigned int *nr,
		     const char **why)
{
	char path[64], *line = NULL;
	size_t cap = 0;
	unsigned int i;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return refuse(why, "cannot read QEMU's /proc/PID/maps", -errno);
	*nr = 0;
	while (getline(&line, &cap, f) > 0) {
		struct maps_entry e;

		if (ram_discover_parse_maps_line(line, &e) || !e.shared ||
		    !e.ino)
			continue;
		for (i = 0; i < *nr; i++)
			if (out[i].ino == e.ino &&
			    out[i].dev_major == e.dev_major &&
			    out[i].dev_minor == e.dev_minor)
				break;
		if (i == *nr) {
			if (*nr == MAX_SHARED)
				continue;
			out[(*nr)++] = (struct shared_map){
				e.dev_major, e.dev_minor, e.ino, 0 };
		}
		out[i].len += e.end - e.start;
	}
	free(line);
	fclose(f);
	return 0;
}

static bool mapped_shared(const struct shared_map *maps, unsigned int nr,
			  const struct stat *st, uint64_t size)
{
	unsigned int i;

	for (i = 0; i < nr; i++)
		if (maps[i].ino == st->st_ino &&
		    maps[i].dev_major == major(st->st_dev) &&
		    maps[i].dev_minor == minor(st->st_dev))
			return maps[i].len >= size;
	return false;
}

/*
 * Does QEMU's descriptor (its link text) fit backend b? Then open it
 * and check it; returns the fd, -ENOENT when it is not b's at all, or
 * another -errno when it looked like b's but failed a check.
 */
static int try_fd(pid_t pid, const char *fdname, const char *link,
		  const struct qmp_ram_backend *b,
		  const struct guest_ram_policy *p,
		  const struct shared_map *maps, unsigned int nr_maps,
		  const char **why)
{
	struct guest_ram_policy want = *p;
	char path[64 + 256];
	struct stat st;
	int fd, ret;

	if (b->memfd ? strncmp(link, "/memfd:", 7) : strcmp(link, b->path))
		return -ENOENT;
	snprintf(path, sizeof(path), "/proc/%d/fd/%s", (int)pid, fdname);
	fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return refuse(why, "cannot open QEMU's descriptor of it",
			      -errno);
	ret = fstat(fd, &st) ? -errno : 0;
	if (ret)
		goto out_close;
	/* Another memfd (another node's, of another size): not b's. */
	if (b->memfd && (uint64_t)st.st_size != b->size) {
		ret = -ENOENT;
		goto out_close;
	}
	if ((uint64_t)st.st_size != b->size) {
		ret = refuse(why, "not the size QEMU reports", -EINVAL);
		goto out_close;
	}
	/* The size QEMU reports is the size the file must have. */
	want.size = b->size;
	ret = guest_ram_check_fd(fd, &want, NULL, why);
	if (ret)
		goto out_close;
	if (b->memfd && (st.st_nlink != 0 || fcntl(fd, F_GET_SEALS) < 0)) {
		ret = refuse(why, "named memfd but is not one", -EINVAL);
		goto out_close;
	}
	if (!b->memfd && st.st_nlink != 1) {
		ret = refuse(why, "has no name or more than one", -EMLINK);
		goto out_close;
	}
	if (!mapped_shared(maps, nr_maps, &st, b->size)) {
		/* Held but not QEMU's shared RAM mapping: not b after all. */
		ret = -ENOENT;
		goto out_close;
	}
	return fd;
out_close:
	close(fd);
	return ret;
}

static bool same_file(int a, int b)
{
	struct stat sa, sb;

	return !fstat(a, &sa) && !fstat(b, &sb) && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

int ram_discover_open(pid_t pid, const struct qmp_ram *ram,
		      const struct guest_ram_policy *p, int *fds,
		      const char **why)
{
	struct shared_map *maps;
	unsigned int nr_maps = 0, i, k;
	char dir[64], link[4096];
	struct dirent *de;
	DIR *d;
	int ret;

	if (pid <= 0 || !ram->nr)
		return refuse(why, "no QEMU process known", -ESRCH);
	maps = calloc(MAX_SHARED, sizeof(*maps));
	if (!maps)
		return refuse(why, "out of memory", -ENOMEM);
	for (k = 0; k < ram->nr; k++)
		fds[k] = -1;
	ret = maps_read(pid, maps, &nr_maps, why);
	if (ret)
		goto out_free;
	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	d = opendir(dir);
	if (!d) {
		ret = refuse(why, "cannot list QEMU's /proc/PID/fd", -errno);
		goto out_free;
	}
	ret = 0;
	while (!ret && (de = readdir(d))) {
		char lpath[64 + 256];
		ssize_t n;

		if (de->d_name[0] == '.')
			continue;
		snprintf(lpath, sizeof(lpath), "%s/%s", dir, de->d_name);
		n = readlink(lpath, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		for (k = 0; k < ram->nr && !ret; k++) {
			int fd = try_fd(pid, de->d_name, link, &ram->b[k], p,
					maps, nr_maps, why);

			if (fd == -ENOENT)
				continue;
			if (fd < 0) {
				ret = fd;
				break;
			}
			if (fds[k] < 0) {
				fds[k] = fd;
				break;
			}
			/* Another descriptor of the same file is fine. */
			if (same_file(fds[k], fd)) {
				close(fd);
				break;
			}
			close(fd);
			/* Two memfds fit: which is node k cannot be told. */
			ret = refuse(why, "two memfds of QEMU fit one RAM "
				     "backend (memfd NUMA nodes of the same "
				     "size cannot be told apart)", -ENOTUNIQ);
		}
	}
	closedir(d);
	/* One file may not serve two backends (same-size memfds again). */
	for (k = 0; !ret && k < ram->nr; k++) {
		if (fds[k] < 0)
			ret = refuse(why, "QEMU holds no file that is this "
				     "RAM backend", -ENOENT);
		for (i = 0; !ret && i < k; i++)
			if (same_file(fds[i], fds[k]))
				ret = refuse(why, "two memfds of QEMU fit one "
					     "RAM backend (memfd NUMA nodes "
					     "of the same size cannot be "
					     "told apart)", -ENOTUNIQ);
	}
out_free:
	free(maps);
	if (ret)
		for (k = 0; k < ram->nr; k++)
			if (fds[k] >= 0)
				close(fds[k]);
	return ret;
}
