// SPDX-License-Identifier: MIT
/* A VM's guest RAM, refcounted: see ram_map.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "ram_discover.h"
#include "ram_map.h"

int ram_map_open(struct ram_map **out, const char *path, const char *machine,
		 const char *vm_name, const struct guest_ram_policy *policy,
		 int event_fd)
{
	struct guest_mem_layout_entry layout[2];
	const char *why = NULL;
	struct ram_map *m;
	uint64_t size;
	int fd, n, ret;

	fd = guest_ram_open(path, policy, &why);
	if (fd < 0) {
		log_err("vm %s: guest RAM %s refused: %s", vm_name, path,
			why ? why : strerror(-fd));
		return fd;
	}
	ret = guest_ram_check_fd(fd, policy, &size, &why);
	if (ret)
		goto out_close;
	n = guest_mem_layout_x86(machine, size, layout, 2);
	ret = n;
	if (n < 0)
		goto out_close;
	ret = -ENOMEM;
	m = calloc(1, sizeof(*m));
	if (!m)
		goto out_close;
	ret = guest_ram_map(&m->ram, fd, layout, n, event_fd);
	if (ret) {
		free(m);
		goto out_close;
	}
	close(fd);
	m->refs = 1;
	log_info("vm %s: guest RAM %s mapped (%llu MiB, %s)", vm_name, path,
		 (unsigned long long)size >> 20, machine);
	*out = m;
	return 0;

out_close:
	close(fd);
	return ret;
}

int ram_map_discover(struct ram_map **out, pid_t pid,
		     const struct qmp_ram *ram, const char *machine,
		     const char *vm_name, const struct guest_ram_policy *policy,
		     int event_fd)
{
	struct guest_mem_layout_entry layout[2];
	int fds[QMP_RAM_MAX_BACKENDS];
	const char *why = NULL;
	struct ram_map *m;
	uint64_t total = 0;
	unsigned int k;
	int n, ret;

	for (k = 0; k < ram->nr; k++)
		total += ram->b[k].size;
	if (policy->size && total != policy->size) {
		log_err("vm %s: guest RAM of QEMU is %llu bytes, not the "
			"configured memory-size", vm_name,
			(unsigned long long)total);
		return -EINVAL;
	}
	ret = ram_discover_open(pid, ram, policy, fds, &why);
	if (ret) {
		log_err("vm %s: guest RAM of QEMU pid %d refused: %s", vm_name,
			(int)pid, why ? why : strerror(-ret));
		return ret;
	}
	n = guest_mem_layout_x86(machine, total, layout, 2);
	ret = n;
	if (n < 0)
		goto out_close;
	ret = -ENOMEM;
	m = calloc(1, sizeof(*m));
	if (!m)
		goto out_close;
	ret = guest_ram_map_fds(&m->ram, fds, ram->nr, layout, n, event_fd);
	if (ret) {
		free(m);
		goto out_close;
	}
	m->refs = 1;
	for (k = 0; k < ram->nr; k++) {
		log_info("vm %s: guest RAM %s: %s%s (%llu MiB), from QEMU "
			 "pid %d", vm_name, ram->b[k].id,
			 ram->b[k].memfd ? "memfd" : "file ",
			 ram->b[k].memfd ? "" : ram->b[k].path,
			 (unsigned long long)ram->b[k].size >> 20, (int)pid);
		close(fds[k]);
	}
	log_info("vm %s: guest RAM discovered and mapped (%u backend(s), "
		 "%llu MiB, %s)", vm_name, ram->nr,
		 (unsigned long long)total >> 20, machine);
	*out = m;
	return 0;

out_close:
	for (k = 0; k < ram->nr; k++)
		close(fds[k]);
	return ret;
}

void ram_map_get(struct ram_map *m)
{
	__atomic_add_fetch(&m->refs, 1, __ATOMIC_RELAXED);
}

void ram_map_put(struct ram_map *m)
{
	if (__atomic_sub_fetch(&m->refs, 1, __ATOMIC_ACQ_REL))
		return;
	guest_ram_unmap(&m->ram);
	free(m);
}
