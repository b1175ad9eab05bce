// SPDX-License-Identifier: MIT
/*
 * The host's only reader of the wire format (abi/devcall_abi.h). Decoding
 * checks everything the ABI itself defines; the dispatcher checks policy.
 */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include "request.h"

_Static_assert(DEVCALL_SEG_TO_HOST == GUEST_SEG_TO_HOST, "seg dir bits");
_Static_assert(DEVCALL_SEG_FROM_HOST == GUEST_SEG_FROM_HOST, "seg dir bits");

int request_decode(const void *wire, size_t len, struct request *req)
{
	const struct devcall_seg *ws;
	struct devcall_req hcopy, *h = &hcopy;
	size_t need;
	unsigned int i;
	int nr_bufs;

	req->tag = 0;
	req->nr_segs = 0;
	req->nr_bufs = 0;
	req->inline_len = 0;
	if (len < sizeof(*h))
		return -EINVAL;
	memcpy(h, wire, sizeof(*h));	/* the wire may be unaligned */
	req->tag = le64toh(h->tag);
	if (le32toh(h->magic) != DEVCALL_REQ_MAGIC ||
	    le16toh(h->version) != DEVCALL_ABI_VERSION || h->reserved)
		return -EPROTO;

	req->op = le16toh(h->op);
	req->flags = le32toh(h->flags);
	req->handle = le64toh(h->handle);
	req->export_id = le32toh(h->export_id);
	req->offset = le64toh(h->offset);
	req->arg = le64toh(h->arg);
	req->cmd = le32toh(h->cmd);
	req->len = le32toh(h->len);
	/* 10 and 11 are reserved (fd passing): unknown until defined. */
	if (!req->op || req->op > DEVCALL_OP_MAX ||
	    (req->op > DEVCALL_OP_LAYOUT && req->op < DEVCALL_OP_BLKINFO) ||
	    (req->flags & ~DEVCALL_REQ_F_ALL))
		return -EPROTO;

	req->nr_segs = le16toh(h->nr_segs);
	req->inline_len = le16toh(h->inline_len);
	if (req->nr_segs > DEVCALL_MAX_SEGS ||
	    req->inline_len > DEVCALL_INLINE_MAX) {
		req->nr_segs = req->inline_len = 0;
		return -EINVAL;
	}
	need = sizeof(*h) + (size_t)req->nr_segs * sizeof(*ws) +
	       req->inline_len;
	if (len != need) {
		req->nr_segs = req->inline_len = 0;
		return -EINVAL;
	}

	ws = (const struct devcall_seg *)((const uint8_t *)wire + sizeof(*h));
	for (i = 0; i < req->nr_segs; i++) {
		struct devcall_seg s;

		memcpy(&s, &ws[i], sizeof(s));	/* wire may be unaligned */
		req->seg[i].gpa = le64toh(s.addr);
		req->seg[i].len = le32toh(s.len);
		req->seg[i].dir = le16toh(s.flags);
		req->seg[i].buf = le16toh(s.buf);
	}
	nr_bufs = guest_buf_group(req->seg, req->nr_segs, req->buf,
				  DEVCALL_MAX_BUFS);
	if (nr_bufs < 0)
		return -EINVAL;
	req->nr_bufs = nr_bufs;
	memcpy(req->inline_data, (const uint8_t *)(ws + req->nr_segs),
	       req->inline_len);
	return 0;
}

int response_encode(const struct response *resp, void *wire, size_t cap)
{
	struct devcall_resp h;
	unsigned int inl = resp->inline_len;

	if (cap < sizeof(h))
		return -ENOSPC;
	memset(&h, 0, sizeof(h));
	h.tag = htole64(resp->tag);
	h.flags = htole32(resp->flags);
	h.size = htole64(resp->size);
	h.mode = htole32(resp->mode);
	if (inl > DEVCALL_INLINE_MAX || sizeof(h) + inl > cap) {
		h.result = htole64((uint64_t)(int64_t)-EOVERFLOW);
		memcpy(wire, &h, sizeof(h));
		return sizeof(h);
	}
	h.result = htole64((uint64_t)resp->result);
	h.inline_len = htole16(inl);
	memcpy(wire, &h, sizeof(h));
	memcpy((uint8_t *)wire + sizeof(h), resp->inline_data, inl);
	return sizeof(h) + inl;
}

int request_encode(const struct request *req, void *wire, size_t cap)
{
	struct devcall_req h;
	size_t need;
	unsigned int i;

	if (req->nr_segs > DEVCALL_MAX_SEGS ||
	    req->inline_len > DEVCALL_INLINE_MAX)
		return -EINVAL;
	need = sizeof(h) + req->nr_segs * sizeof(struct devcall_seg) +
	       req->inline_len;
	if (need > cap)
		return -ENOSPC;
	memset(&h, 0, sizeof(h));
	h.magic = htole32(DEVCALL_REQ_MAGIC);
	h.version = htole16(DEVCALL_ABI_VERSION);
	h.op = htole16(req->op);
	h.tag = htole64(req->tag);
	h.handle = htole64(req->handle);
	h.export_id = htole32(req->export_id);
	h.flags = htole32(req->flags);
	h.offset = htole64(req->offset);
	h.arg = htole64(req->arg);
	h.cmd = htole32(req->cmd);
	h.len = htole32(req->len);
	h.nr_segs = htole16(req->nr_segs);
	h.inline_len = htole16(req->inline_len);
	memcpy(wire, &h, sizeof(h));
	for (i = 0; i < req->nr_segs; i++) {
		struct devcall_seg s = {
			.addr = htole64(req->seg[i].gpa),
			.len = htole32(req->seg[i].len),
			.flags = htole16(req->seg[i].dir),
			.buf = htole16(req->seg[i].buf),
		};

		memcpy((uint8_t *)wire + sizeof(h) + i * sizeof(s), &s,
		       sizeof(s));
	}
	memcpy((uint8_t *)wire + sizeof(h) + req->nr_segs *
	       sizeof(struct devcall_seg), req->inline_data, req->inline_len);
	return need;
}
