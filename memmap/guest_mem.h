/* SPDX-License-Identifier: MIT */
/*
 * Guest memory map: which guest-physical ranges are RAM and where the daemon
 * sees them. Everything that turns a guest-physical address into a host
 * pointer goes through here; nothing here knows about transports.
 */
#ifndef DEVCALL_GUEST_MEM_H
#define DEVCALL_GUEST_MEM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#define GUEST_MEM_MAX_REGIONS	8

struct guest_mem_region {
	uint64_t gpa;		/* first guest-physical address */
	uint64_t size;		/* bytes */
	uint8_t *hva;		/* host address of gpa */
};

struct guest_mem {
	struct guest_mem_region region[GUEST_MEM_MAX_REGIONS];
	unsigned int nr_regions;	/* sorted by gpa, never overlapping */
	void *map;			/* mapping owned by guest_mem_map_file() */
	size_t map_len;
};

/* One piece of a RAM backing file placed in the guest-physical space. */
struct guest_mem_layout_entry {
	uint64_t gpa;
	uint64_t file_offset;
	uint64_t size;
};

/* An empty map (no RAM). */
void guest_mem_init(struct guest_mem *gm);

/*
 * Add RAM at [gpa, gpa + size) seen by the host at hva. Returns 0, -EINVAL
 * (zero size, wrap-around, overlap with an existing region) or -ENOSPC.
 */
int guest_mem_add_region(struct guest_mem *gm, uint64_t gpa, uint64_t size,
			 void *hva);

/*
 * Map a RAM backing file (QEMU's memory-backend-file, share=on) with the
 * given layout. Each entry must lie inside the file. Returns 0 or -errno.
 */
int guest_mem_map_file(struct guest_mem *gm, const char *path,
		       const struct guest_mem_layout_entry *layout,
		       unsigned int nr_entries);

/*
 * The same for a descriptor already open (and checked: vmm-glue/guest_ram.h)
 * read-write; fd stays the caller's. Maps the whole file as it is now.
 */
int guest_mem_map_fd(struct guest_mem *gm, int fd,
		     const struct guest_mem_layout_entry *layout,
		     unsigned int nr_entries);

/*
 * Several descriptors (NUMA nodes' backends) mapped one after the other
 * into one range: the layout's file offsets count into that
 * concatenation, in the order of fds. Each file is mapped whole.
 */
int guest_mem_map_fds(struct guest_mem *gm, const int *fds, unsigned int nr,
		      const struct guest_mem_layout_entry *layout,
		      unsigned int nr_entries);

/*
 * QEMU's x86 RAM layout for a machine type ("pc" or "q35") and RAM size:
 * low RAM from 0 up to the machine's below-4G limit, the rest from 4 GiB.
 * Fills up to max entries; returns how many, or -EINVAL.
 */
int guest_mem_layout_x86(const char *machine, uint64_t ram_size,
			 struct guest_mem_layout_entry *layout,
			 unsigned int max);

/* Unmap what guest_mem_map_file() mapped and empty the map. */
void guest_mem_fini(struct guest_mem *gm);

/*
 * Host pointer for gpa, or NULL if gpa is not RAM. On entry *len is the
 * length wanted (> 0); on return it is the number of bytes available
 * contiguously from gpa in that region, never more than asked.
 */
void *guest_mem_translate(const struct guest_mem *gm, uint64_t gpa,
			  size_t *len);

/*
 * Host pointer for exactly [gpa, gpa + len), or NULL unless the whole range
 * is RAM in one region.
 */
void *guest_mem_range(const struct guest_mem *gm, uint64_t gpa, size_t len);

#endif /* DEVCALL_GUEST_MEM_H */
