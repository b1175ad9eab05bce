// SPDX-License-Identifier: MIT
/* The fake guest of fake_guest.h. */
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fake_guest.h"
#include "harness.h"

void fake_guest_init(struct fake_guest *g)
{
	memset(g, 0, sizeof(*g));
	guest_mem_init(&g->gm);
	/* Page-aligned as real guest RAM (a mapping), so a gpa's offset in
	 * its page is its host address's: O_DIRECT tests depend on it. */
	g->ram[0] = aligned_alloc(4096, FAKE_RAM_SIZE);
	g->ram[1] = aligned_alloc(4096, FAKE_RAM_SIZE);
	if (!g->ram[0] || !g->ram[1])
		abort();
	memset(g->ram[0], 0, FAKE_RAM_SIZE);
	memset(g->ram[1], 0, FAKE_RAM_SIZE);
	if (guest_mem_add_region(&g->gm, FAKE_RAM0_GPA, FAKE_RAM_SIZE,
				 g->ram[0]) ||
	    guest_mem_add_region(&g->gm, FAKE_RAM1_GPA, FAKE_RAM_SIZE,
				 g->ram[1]))
		abort();
	g->next = FAKE_RAM0_GPA;
}

void fake_guest_fini(struct fake_guest *g)
{
	free(g->ram[0]);
	free(g->ram[1]);
	memset(g, 0, sizeof(*g));
}

uint64_t fake_guest_alloc(struct fake_guest *g, size_t len)
{
	uint64_t gpa = (g->next + 15) & ~15ull;

	/* Never straddle unless asked: skip to the second region. */
	if (gpa < FAKE_RAM1_GPA && gpa + len > FAKE_RAM1_GPA)
		gpa = FAKE_RAM1_GPA;
	if (gpa + len > FAKE_RAM1_GPA + FAKE_RAM_SIZE)
		abort();
	g->next = gpa + len;
	return gpa;
}

uint64_t fake_guest_alloc_straddling(struct fake_guest *g, size_t len)
{
	uint64_t gpa = FAKE_RAM1_GPA - len / 2;

	if (g->next > gpa)
		abort();
	g->next = gpa + len;
	return gpa;
}

void *fake_guest_ptr(struct fake_guest *g, uint64_t gpa)
{
	if (gpa >= FAKE_RAM0_GPA && gpa < FAKE_RAM1_GPA)
		return g->ram[0] + (gpa - FAKE_RAM0_GPA);
	if (gpa >= FAKE_RAM1_GPA && gpa < FAKE_RAM1_GPA + FAKE_RAM_SIZE)
		return g->ram[1] + (gpa - FAKE_RAM1_GPA);
	abort();
}

void fake_guest_write(struct fake_guest *g, uint64_t gpa, const void *src,
		      size_t len)
{
	const uint8_t *s = src;

	while (len--)
		*(uint8_t *)fake_guest_ptr(g, gpa++) = *s++;
}

void fake_guest_read(struct fake_guest *g, uint64_t gpa, void *dst,
		     size_t len)
{
	uint8_t *d = dst;

	while (len--)
		*d++ = *(uint8_t *)fake_guest_ptr(g, gpa++);
}

void fake_req_init(struct request *req, uint16_t op, uint64_t handle)
{
	memset(req, 0, offsetof(struct request, seg));
	req->nr_bufs = 0;
	req->inline_len = 0;
	req->op = op;
	req->tag = 1;
	req->handle = handle;
}

void fake_req_seg(struct request *req, uint64_t gpa, uint32_t len,
		  uint16_t dir, uint16_t buf)
{
	struct guest_seg *s = &req->seg[req->nr_segs++];
	int n;

	s->gpa = gpa;
	s->len = len;
	s->dir = dir;
	s->buf = buf;
	n = guest_buf_group(req->seg, req->nr_segs, req->buf,
			    DEVCALL_MAX_BUFS);
	if (n < 0)
		abort();
	req->nr_bufs = n;
}

void fake_config_flag(struct config *cfg, const char *flag, const char *value)
{
	char err[256];

	if (config_apply_flag(cfg, flag, value, err, sizeof(err)))
		fail_msg("%s", err);
}
