/* SPDX-License-Identifier: MIT */
/*
 * A fake guest for unit tests: RAM in two regions that are adjacent in
 * guest-physical space but not in host memory (so a buffer can straddle
 * them and defeat zero-copy), a bump allocator handing out guest-physical
 * addresses, and helpers to build requests that point into it.
 */
#ifndef DEVCALL_FAKE_GUEST_H
#define DEVCALL_FAKE_GUEST_H

#include <stddef.h>
#include <stdint.h>

#include "guest_mem.h"
#include "request.h"

#define FAKE_RAM0_GPA	0x100000ull
#define FAKE_RAM_SIZE	0x100000ull	/* each region */
#define FAKE_RAM1_GPA	(FAKE_RAM0_GPA + FAKE_RAM_SIZE)

struct fake_guest {
	struct guest_mem gm;
	uint8_t *ram[2];
	uint64_t next;		/* bump allocator, guest-physical */
};

void fake_guest_init(struct fake_guest *g);
void fake_guest_fini(struct fake_guest *g);

/* Allocate len bytes of guest RAM (16-byte aligned); returns the gpa. */
uint64_t fake_guest_alloc(struct fake_guest *g, size_t len);

/* Allocate so that the buffer straddles the two regions. */
uint64_t fake_guest_alloc_straddling(struct fake_guest *g, size_t len);

/* Host pointer for a gpa inside fake RAM (the test's view). */
void *fake_guest_ptr(struct fake_guest *g, uint64_t gpa);

/* Copy to/from guest RAM, across regions. */
void fake_guest_write(struct fake_guest *g, uint64_t gpa, const void *src,
		      size_t len);
void fake_guest_read(struct fake_guest *g, uint64_t gpa, void *dst,
		     size_t len);

/* A request header (tag 1). */
void fake_req_init(struct request *req, uint16_t op, uint64_t handle);

struct config;

/* A command-line flag applied to cfg (--vm, --export...); fails the test if refused. */
void fake_config_flag(struct config *cfg, const char *flag, const char *value);

/* Append a segment and regroup buffers as request_decode would. */
void fake_req_seg(struct request *req, uint64_t gpa, uint32_t len,
		  uint16_t dir, uint16_t buf);

#endif /* DEVCALL_FAKE_GUEST_H */
