/* SPDX-License-Identifier: MIT */
/*
 * Request decoding and response encoding: the only code that reads the wire
 * format of devcall_abi.h on the host. A decoded request is in host byte
 * order, its segments grouped into buffers, and fully checked against the
 * ABI's own rules; policy and limits are the dispatcher's.
 */
#ifndef DEVCALL_REQUEST_H
#define DEVCALL_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include "devcall_abi.h"
#include "guest_buf.h"

struct request {
	uint16_t op;
	uint32_t flags;		/* DEVCALL_REQ_F_* */
	uint64_t tag;
	uint64_t handle;
	uint32_t export_id;
	uint64_t offset;
	uint64_t arg;
	uint32_t cmd;
	uint32_t len;
	unsigned int nr_segs;
	struct guest_seg seg[DEVCALL_MAX_SEGS];
	unsigned int nr_bufs;	/* highest buffer index named + 1 */
	struct guest_buf buf[DEVCALL_MAX_BUFS];
	unsigned int inline_len;
	uint8_t inline_data[DEVCALL_INLINE_MAX];
};

/*
 * Decode the len bytes at wire (a copy the guest can no longer change).
 * Returns 0, or -EPROTO (bad magic, version, reserved bits or op), -EINVAL
 * (sizes do not add up, a field out of the ABI's range, bad segment).
 * On failure req->tag is still set when the header was long enough, so
 * the caller can answer the request.
 */
int request_decode(const void *wire, size_t len, struct request *req);

/* Response in host byte order. */
struct response {
	uint64_t tag;
	int64_t result;
	uint32_t flags;		/* DEVCALL_RESP_F_* */
	uint64_t size;
	uint32_t mode;
	unsigned int inline_len;
	uint8_t inline_data[DEVCALL_INLINE_MAX];
};

/*
 * Encode into wire (cap bytes). Returns the encoded length, or -ENOSPC if
 * cap cannot hold it: then, if cap holds a header, a header alone with
 * result -EOVERFLOW is written and its length returned instead.
 */
int response_encode(const struct response *resp, void *wire, size_t cap);

/* Encode a request (tests, fuzz corpus, tools). Returns length or -errno. */
int request_encode(const struct request *req, void *wire, size_t cap);

#endif /* DEVCALL_REQUEST_H */
