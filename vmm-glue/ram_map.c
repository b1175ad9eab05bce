// SPDX-License-Identifier: MIT
/* A VM's guest RAM, refcounted: see ram_map.h. */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "log.h"
#include "ram_map.h"

int ram_map_open(struct ram_map **out, const char *path, const char *machine,
		 const char *vm_name)
{
	struct guest_mem_layout_entry layout[2];
	struct ram_map *m;
	struct stat st;
	int n, ret;

	if (stat(path, &st))
		return -errno;
	n = guest_mem_layout_x86(machine, st.st_size, layout, 2);
	if (n < 0)
		return n;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	guest_mem_init(&m->gm);
	ret = guest_mem_map_file(&m->gm, path, layout, n);
	if (ret) {
		free(m);
		return ret;
	}
	m->refs = 1;
	log_info("vm %s: guest RAM %s mapped (%lld MiB, %s)", vm_name, path,
		 (long long)st.st_size >> 20, machine);
	*out = m;
	return 0;
}

void ram_map_get(struct ram_map *m)
{
	__atomic_add_fetch(&m->refs, 1, __ATOMIC_RELAXED);
}

void ram_map_put(struct ram_map *m)
{
	if (__atomic_sub_fetch(&m->refs, 1, __ATOMIC_ACQ_REL))
		return;
	guest_mem_fini(&m->gm);
	free(m);
}
