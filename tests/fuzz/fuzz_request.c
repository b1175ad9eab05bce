// SPDX-License-Identifier: MIT
/*
 * libFuzzer target over the host's request path: the wire decoder, guest
 * memory translation and ioctl pointer rewriting, fed exactly what a hostile
 * guest controls: the request bytes and the contents of its RAM.
 *
 * Input: u16 little-endian request length L, L request bytes, then the
 * initial contents of guest RAM (two regions, so translations can straddle
 * a region boundary).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "guest_buf.h"
#include "guest_mem.h"
#include "ioctl_layout.h"
#include "ptr_rewrite.h"
#include "request.h"

#define RAM0_GPA	0x1000u
#define RAM0_SIZE	0x4000u
#define RAM1_GPA	(RAM0_GPA + RAM0_SIZE)	/* adjacent: a straddle */
#define RAM1_SIZE	0x4000u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t ram0[RAM0_SIZE], ram1[RAM1_SIZE];
static volatile uint8_t fuzz_sink;

/* What a driver would do: write every byte it may write. */
static void fake_driver(struct rewrite_ctx *ctx)
{
	unsigned int i;

	for (i = 1; i < ctx->nr_bufs; i++) {
		struct rewrite_buf *b = &ctx->buf[i];

		if (b->host && (b->dir & LAYOUT_DIR_OUT))
			memset(b->host, 0xa5, b->len);
	}
	if (ctx->layout->arg_dir & LAYOUT_DIR_OUT)
		memset(ctx->host_arg, 0x5a, ctx->layout->arg_size);
}

static void fuzz_ioctl(const struct guest_mem *gm, const struct request *req)
{
	static struct rewrite_ctx ctx;
	struct ioctl_layout generic;
	const struct ioctl_layout *layout = layout_find(req->cmd);
	uint8_t arg[LAYOUT_ARG_MAX], out[LAYOUT_ARG_MAX];

	if (!layout) {
		if (layout_from_ioc(req->cmd, &generic))
			return;
		layout = &generic;
	}
	if (!layout->arg_size || layout->arg_size > sizeof(arg))
		return;
	memset(arg, 0, sizeof(arg));
	if (req->inline_len) {
		if (req->inline_len < layout->arg_size)
			return;
		memcpy(arg, req->inline_data, layout->arg_size);
	} else if (req->nr_bufs < 1 ||
		   guest_buf_read(gm, &req->buf[0], 0, arg, layout->arg_size)) {
		return;
	}
	if (rewrite_prepare(&ctx, layout, gm, arg, req->buf, req->nr_bufs,
			    1u << 20))
		return;
	fake_driver(&ctx);
	rewrite_finish(&ctx, out);
	rewrite_release(&ctx);
}

static void fuzz_rw(const struct guest_mem *gm, const struct request *req)
{
	struct iovec iov[64];
	unsigned int dir = req->op == DEVCALL_OP_READ ? GUEST_SEG_FROM_HOST :
							GUEST_SEG_TO_HOST;
	int n, i;

	if (req->nr_bufs < 1)
		return;
	n = guest_buf_to_iov(gm, &req->buf[0], req->len, dir, iov, 64);
	for (i = 0; i < n; i++) {
		if (dir == GUEST_SEG_FROM_HOST)
			memset(iov[i].iov_base, 0x3c, iov[i].iov_len);
		else
			(void)!memchr(iov[i].iov_base, 0x3c, iov[i].iov_len);
	}
	if (n >= 0 && req->len) {
		uint8_t *p = guest_buf_contig(gm, &req->buf[0], req->len, dir);

		if (p)
			fuzz_sink = p[req->len - 1]; /* whole view valid */
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct request req;
	struct guest_mem gm;
	size_t req_len, rest;

	if (size < 2)
		return 0;
	req_len = data[0] | (size_t)data[1] << 8;
	data += 2;
	size -= 2;
	if (req_len > size)
		req_len = size;

	rest = size - req_len;
	memset(ram0, 0, sizeof(ram0));
	memset(ram1, 0, sizeof(ram1));
	memcpy(ram0, data + req_len, rest < RAM0_SIZE ? rest : RAM0_SIZE);
	if (rest > RAM0_SIZE)
		memcpy(ram1, data + req_len + RAM0_SIZE,
		       rest - RAM0_SIZE < RAM1_SIZE ? rest - RAM0_SIZE : RAM1_SIZE);

	guest_mem_init(&gm);
	if (guest_mem_add_region(&gm, RAM0_GPA, RAM0_SIZE, ram0) ||
	    guest_mem_add_region(&gm, RAM1_GPA, RAM1_SIZE, ram1))
		abort();

	if (request_decode(data, req_len, &req))
		return 0;

	switch (req.op) {
	case DEVCALL_OP_IOCTL:
		fuzz_ioctl(&gm, &req);
		break;
	case DEVCALL_OP_READ:
	case DEVCALL_OP_WRITE:
		fuzz_rw(&gm, &req);
		break;
	default:
		break;
	}
	return 0;
}
