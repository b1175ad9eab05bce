// SPDX-License-Identifier: MIT
/*
 * Guest memory map: guest-physical ranges of RAM and where the daemon sees
 * them. Translation never returns more than the region holds.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest_mem.h"

void guest_mem_init(struct guest_mem *gm)
{
	memset(gm, 0, sizeof(*gm));
}

int guest_mem_add_region(struct guest_mem *gm, uint64_t gpa, uint64_t size,
			 void *hva)
{
	unsigned int pos;

	if (!size || !hva || gpa + size < gpa)
		return -EINVAL;
	if (gm->nr_regions >= GUEST_MEM_MAX_REGIONS)
		return -ENOSPC;

	for (pos = 0; pos < gm->nr_regions; pos++) {
		const struct guest_mem_region *r = &gm->region[pos];

		/* Both ranges are non-empty and non-wrapping here. */
		if (gpa < r->gpa + r->size && r->gpa < gpa + size)
			return -EINVAL;
		if (gpa < r->gpa)
			break;	/* sorted: later regions start higher still */
	}

	memmove(&gm->region[pos + 1], &gm->region[pos],
		(gm->nr_regions - pos) * sizeof(gm->region[0]));
	gm->region[pos].gpa = gpa;
	gm->region[pos].size = size;
	gm->region[pos].hva = hva;
	gm->nr_regions++;
	return 0;
}

int guest_mem_map_fd(struct guest_mem *gm, int fd,
		     const struct guest_mem_layout_entry *layout,
		     unsigned int nr_entries)
{
	struct stat st;
	unsigned int i;
	void *map;
	int ret;

	if (!nr_entries || nr_entries > GUEST_MEM_MAX_REGIONS)
		return -EINVAL;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (st.st_size <= 0)
		return -EINVAL;
	for (i = 0; i < nr_entries; i++) {
		const struct guest_mem_layout_entry *e = &layout[i];

		if (!e->size || e->file_offset + e->size < e->file_offset ||
		    e->file_offset + e->size > (uint64_t)st.st_size)
			return -EINVAL;
	}

	map = mmap(NULL, st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		return -errno;

	guest_mem_fini(gm);
	gm->map = map;
	gm->map_len = st.st_size;
	for (i = 0; i < nr_entries; i++) {
		ret = guest_mem_add_region(gm, layout[i].gpa, layout[i].size,
					   (uint8_t *)map + layout[i].file_offset);
		if (ret) {
			guest_mem_fini(gm);
			return ret;
		}
	}
	return 0;
}

int guest_mem_map_fds(struct guest_mem *gm, const int *fds, unsigned int nr,
		      const struct guest_mem_layout_entry *layout,
		      unsigned int nr_entries)
{
	uint64_t sizes[GUEST_MEM_MAX_REGIONS], total = 0, off;
	struct stat st;
	unsigned int i;
	uint8_t *map;
	int ret;

	if (nr == 1)
		return guest_mem_map_fd(gm, fds[0], layout, nr_entries);
	if (!nr || nr > GUEST_MEM_MAX_REGIONS || !nr_entries ||
	    nr_entries > GUEST_MEM_MAX_REGIONS)
		return -EINVAL;
	for (i = 0; i < nr; i++) {
		if (fstat(fds[i], &st) < 0)
			return -errno;
		/* Page-sized pieces, or the next one would not fit on. */
		if (st.st_size <= 0 || (st.st_size & 4095))
			return -EINVAL;
		sizes[i] = st.st_size;
		total += sizes[i];
	}
	for (i = 0; i < nr_entries; i++) {
		const struct guest_mem_layout_entry *e = &layout[i];

		if (!e->size || e->file_offset + e->size < e->file_offset ||
		    e->file_offset + e->size > total)
			return -EINVAL;
	}
	/* One range reserved, then each file over its part of it. */
	map = mmap(NULL, total, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS |
		   MAP_NORESERVE, -1, 0);
	if (map == MAP_FAILED)
		return -errno;
	for (i = 0, off = 0; i < nr; off += sizes[i++]) {
		if (mmap(map + off, sizes[i], PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_FIXED, fds[i], 0) == MAP_FAILED) {
			ret = -errno;
			munmap(map, total);
			return ret;
		}
	}
	guest_mem_fini(gm);
	gm->map = map;
	gm->map_len = total;
	for (i = 0; i < nr_entries; i++) {
		ret = guest_mem_add_region(gm, layout[i].gpa, layout[i].size,
					   map + layout[i].file_offset);
		if (ret) {
			guest_mem_fini(gm);
			return ret;
		}
	}
	return 0;
}

int guest_mem_map_file(struct guest_mem *gm, const char *path,
		       const struct guest_mem_layout_entry *layout,
		       unsigned int nr_entries)
{
	int fd, ret;

	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = guest_mem_map_fd(gm, fd, layout, nr_entries);
	close(fd);
	return ret;
}

/*
 * QEMU 7.2 places RAM below 4 GiB up to a machine-specific limit and the
 * rest at 4 GiB (hw/i386/pc_q35.c, pc_piix.c). q35: all of RAM below 4 GiB
 * if it is smaller than 0xb0000000, else 2 GiB below. pc (i440fx, with the
 * default gigabyte alignment): all below if smaller than 0xe0000000, else
 * 3 GiB below.
 */
int guest_mem_layout_x86(const char *machine, uint64_t ram_size,
			 struct guest_mem_layout_entry *layout,
			 unsigned int max)
{
	uint64_t lowmem;

	if (!machine || !ram_size || max < 1)
		return -EINVAL;
	if (!strcmp(machine, "q35"))
		lowmem = ram_size >= 0xb0000000ull ? 0x80000000ull :
						     0xb0000000ull;
	else if (!strcmp(machine, "pc"))
		lowmem = ram_size >= 0xe0000000ull ? 0xc0000000ull :
						     0xe0000000ull;
	else
		return -EINVAL;

	if (ram_size <= lowmem) {
		layout[0] = (struct guest_mem_layout_entry){ 0, 0, ram_size };
		return 1;
	}
	if (max < 2)
		return -EINVAL;
	layout[0] = (struct guest_mem_layout_entry){ 0, 0, lowmem };
	layout[1] = (struct guest_mem_layout_entry){
		1ull << 32, lowmem, ram_size - lowmem };
	return 2;
}

void guest_mem_fini(struct guest_mem *gm)
{
	if (gm->map)
		munmap(gm->map, gm->map_len);
	guest_mem_init(gm);
}

static const struct guest_mem_region *
guest_mem_find(const struct guest_mem *gm, uint64_t gpa)
{
	unsigned int i;

	for (i = 0; i < gm->nr_regions; i++) {
		const struct guest_mem_region *r = &gm->region[i];

		if (gpa >= r->gpa && gpa - r->gpa < r->size)
			return r;
	}
	return NULL;
}

void *guest_mem_translate(const struct guest_mem *gm, uint64_t gpa,
			  size_t *len)
{
	const struct guest_mem_region *r;
	uint64_t avail;

	if (!*len)
		return NULL;
	r = guest_mem_find(gm, gpa);
	if (!r)
		return NULL;
	avail = r->size - (gpa - r->gpa);
	if (*len > avail)
		*len = avail;
	return r->hva + (gpa - r->gpa);
}

void *guest_mem_range(const struct guest_mem *gm, uint64_t gpa, size_t len)
{
	size_t got = len;
	void *p;

	if (!len || gpa + len < gpa)
		return NULL;
	p = guest_mem_translate(gm, gpa, &got);
	return p && got == len ? p : NULL;
}
