// SPDX-License-Identifier: MIT
/* The wire codec: encode/decode round trips and hostile requests. */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include "harness.h"
#include "request.h"

static struct request req, dec;
static uint8_t wire[sizeof(struct devcall_req) +
		    DEVCALL_MAX_SEGS * sizeof(struct devcall_seg) +
		    DEVCALL_INLINE_MAX + 64];

static int encode_sample(void)
{
	memset(&req, 0, sizeof(req));
	req.op = DEVCALL_OP_WRITE;
	req.tag = 0x1122334455667788ull;
	req.handle = 0x100000003ull;
	req.flags = DEVCALL_REQ_F_OFFSET | DEVCALL_REQ_F_NONBLOCK;
	req.offset = 1ull << 40;
	req.len = 300;
	req.nr_segs = 2;
	req.seg[0] = (struct guest_seg){ 0x1000, 100, GUEST_SEG_TO_HOST, 0 };
	req.seg[1] = (struct guest_seg){ 0x9000, 200, GUEST_SEG_TO_HOST, 0 };
	req.inline_len = 3;
	memcpy(req.inline_data, "abc", 3);
	return request_encode(&req, wire, sizeof(wire));
}

static struct devcall_req *hdr(void)
{
	return (struct devcall_req *)wire;
}

static void test_round_trip(void **state)
{
	int len = encode_sample();

	(void)state;
	assert_int_equal(len, 64 + 2 * 16 + 3);
	/* Little-endian on the wire, whatever the host. */
	assert_int_equal(wire[0], 0x44);	/* 'D' of DEVCALL_REQ_MAGIC */
	assert_int_equal(wire[8], 0x88);
	assert_int_equal(request_decode(wire, len, &dec), 0);
	assert_int_equal(dec.op, DEVCALL_OP_WRITE);
	assert_int_equal(dec.tag, req.tag);
	assert_int_equal(dec.handle, req.handle);
	assert_int_equal(dec.offset, req.offset);
	assert_int_equal(dec.flags, req.flags);
	assert_int_equal(dec.nr_segs, 2);
	assert_int_equal(dec.nr_bufs, 1);
	assert_int_equal(dec.buf[0].len, 300);
	assert_int_equal(dec.seg[1].gpa, 0x9000);
	assert_int_equal(dec.inline_len, 3);
	assert_memory_equal(dec.inline_data, "abc", 3);
}

static void test_truncated_and_trailing(void **state)
{
	int len = encode_sample(), i;

	(void)state;
	for (i = 0; i < len; i++)
		assert_int_not_equal(request_decode(wire, i, &dec), 0);
	assert_int_equal(request_decode(wire, len + 1, &dec), -EINVAL);
	/* A header that was read gives the tag for the error response. */
	assert_int_equal(request_decode(wire, len - 1, &dec), -EINVAL);
	assert_int_equal(dec.tag, req.tag);
}

static void test_bad_header_fields(void **state)
{
	int len;

	(void)state;
	len = encode_sample();
	hdr()->magic ^= 1;
	assert_int_equal(request_decode(wire, len, &dec), -EPROTO);
	len = encode_sample();
	hdr()->version = htole16(2);
	assert_int_equal(request_decode(wire, len, &dec), -EPROTO);
	len = encode_sample();
	hdr()->op = 0;
	assert_int_equal(request_decode(wire, len, &dec), -EPROTO);
	hdr()->op = htole16(DEVCALL_OP_MAX + 1);
	assert_int_equal(request_decode(wire, len, &dec), -EPROTO);
	hdr()->op = htole16(10);	/* reserved */
	assert_int_equal(request_decode(wire, len, &dec), -EPROTO);
	hdr()->op = htole16(11);
	assert_int_equal(request_decode(wire, len, &dec), -EPROTO);
	hdr()->op = htole16(0xffff);
	assert_int_equal(request_decode(wire, len, &dec), -EPROTO);
	len = encode_sample();
	hdr()->reserved = htole32(1);
	assert_int_equal(request_decode(wire, len, &dec), -EPROTO);
	len = encode_sample();
	hdr()->flags |= htole32(1u << 31);
	assert_int_equal(request_decode(wire, len, &dec), -EPROTO);
}

static void test_bad_sizes(void **state)
{
	int len;

	(void)state;
	len = encode_sample();
	hdr()->nr_segs = htole16(0xffff);	/* more than the limit */
	assert_int_equal(request_decode(wire, len, &dec), -EINVAL);
	hdr()->nr_segs = htole16(3);		/* more than sent */
	assert_int_equal(request_decode(wire, len, &dec), -EINVAL);
	len = encode_sample();
	hdr()->inline_len = htole16(DEVCALL_INLINE_MAX + 1);
	assert_int_equal(request_decode(wire, len, &dec), -EINVAL);
	hdr()->inline_len = htole16(2);		/* a trailing byte */
	assert_int_equal(request_decode(wire, len, &dec), -EINVAL);
}

static void test_bad_segments(void **state)
{
	struct devcall_seg *s = (struct devcall_seg *)(wire + 64);
	int len;

	(void)state;
	len = encode_sample();
	s[1].len = 0;
	assert_int_equal(request_decode(wire, len, &dec), -EINVAL);
	len = encode_sample();
	s[1].flags = htole16(4);
	assert_int_equal(request_decode(wire, len, &dec), -EINVAL);
	s[1].flags = 0;
	assert_int_equal(request_decode(wire, len, &dec), -EINVAL);
	len = encode_sample();
	s[1].buf = htole16(DEVCALL_MAX_BUFS);
	assert_int_equal(request_decode(wire, len, &dec), -EINVAL);
	len = encode_sample();
	s[0].buf = htole16(1);			/* 1 then 0: out of order */
	assert_int_equal(request_decode(wire, len, &dec), -EINVAL);
	len = encode_sample();
	s[0].len = htole32(0xffffffffu);	/* lengths are not trusted... */
	s[1].len = htole32(0xffffffffu);	/* ...nor do they overflow */
	assert_int_equal(request_decode(wire, len, &dec), 0);
	assert_int_equal(dec.buf[0].len, 2 * 0xffffffffull);
}

static void test_max_segments(void **state)
{
	unsigned int i;
	int len;

	(void)state;
	memset(&req, 0, sizeof(req));
	req.op = DEVCALL_OP_READ;
	req.nr_segs = DEVCALL_MAX_SEGS;
	for (i = 0; i < DEVCALL_MAX_SEGS; i++)
		req.seg[i] = (struct guest_seg){ 0x1000 * i, 4096,
						 GUEST_SEG_FROM_HOST, 0 };
	len = request_encode(&req, wire, sizeof(wire));
	assert_int_equal(len, 64 + DEVCALL_MAX_SEGS * 16);
	assert_int_equal(request_decode(wire, len, &dec), 0);
	assert_int_equal(dec.buf[0].nr_segs, DEVCALL_MAX_SEGS);
	req.nr_segs = DEVCALL_MAX_SEGS + 1;
	assert_int_equal(request_encode(&req, wire, sizeof(wire)), -EINVAL);
	assert_int_equal(request_encode(&req, wire, 10), -EINVAL);
	req.nr_segs = 1;
	assert_int_equal(request_encode(&req, wire, 10), -ENOSPC);
}

static void test_response_encode(void **state)
{
	struct response resp = { .tag = 9, .result = -ENOTTY, .size = 1 << 20,
				 .mode = 060600, .inline_len = 4 };
	struct devcall_resp *h = (struct devcall_resp *)wire;

	(void)state;
	memcpy(resp.inline_data, "wxyz", 4);
	assert_int_equal(response_encode(&resp, wire, sizeof(wire)), 44);
	assert_int_equal(le64toh(h->tag), 9);
	assert_int_equal((int64_t)le64toh(h->result), -ENOTTY);
	assert_int_equal(le16toh(h->inline_len), 4);
	assert_memory_equal(wire + 40, "wxyz", 4);
	/* No room for the payload: header alone, with -EOVERFLOW. */
	assert_int_equal(response_encode(&resp, wire, 42), 40);
	assert_int_equal((int64_t)le64toh(h->result), -EOVERFLOW);
	assert_int_equal(h->inline_len, 0);
	assert_int_equal(response_encode(&resp, wire, 39), -ENOSPC);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_round_trip),
	cmocka_unit_test(test_truncated_and_trailing),
	cmocka_unit_test(test_bad_header_fields),
	cmocka_unit_test(test_bad_sizes),
	cmocka_unit_test(test_bad_segments),
	cmocka_unit_test(test_max_segments),
	cmocka_unit_test(test_response_encode),
};

TEST_MAIN("request", tests, NULL, NULL)
