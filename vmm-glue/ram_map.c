// SPDX-License-Identifier: MIT
/* A VM's guest RAM, refcounted: see ram_map.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
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
