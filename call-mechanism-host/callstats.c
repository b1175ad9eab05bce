// SPDX-License-Identifier: MIT
/* Per-VM call counters and latency histograms: see callstats.h. */
#include <stdbool.h>
#include <string.h>

#include "callstats.h"

static const char *const op_names[DEVCALL_OP_MAX + 1] = {
	[DEVCALL_OP_OPEN] = "open",
	[DEVCALL_OP_CLOSE] = "close",
	[DEVCALL_OP_READ] = "read",
	[DEVCALL_OP_WRITE] = "write",
	[DEVCALL_OP_IOCTL] = "ioctl",
	[DEVCALL_OP_POLL] = "poll",
	[DEVCALL_OP_FSYNC] = "fsync",
	[DEVCALL_OP_CANCEL] = "cancel",
	[DEVCALL_OP_LAYOUT] = "layout",
	[DEVCALL_OP_BLKINFO] = "blkinfo",
};

const char *callstats_op_name(unsigned int op)
{
	return op <= DEVCALL_OP_MAX && op_names[op] ? op_names[op] : "?";
}

int callstats_op_by_name(const char *name)
{
	unsigned int i;

	for (i = 0; i <= DEVCALL_OP_MAX; i++)
		if (op_names[i] && !strcmp(op_names[i], name))
			return (int)i;
	return -1;
}

unsigned int callstats_bucket(uint64_t ns)
{
	uint64_t us = ns / 1000;
	unsigned int b;

	if (us < 2)
		return 0;
	b = 63 - (unsigned int)__builtin_clzll(us);
	return b < CALLSTATS_BUCKETS ? b : CALLSTATS_BUCKETS - 1;
}

/* Three atomic adds, four on an error: calls is the histogram's sum. */
static void row_add(struct callstats_row *row, const struct call_record *r,
		    unsigned int bucket)
{
	if (r->result < 0)
		__atomic_fetch_add(&row->errors, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&row->bytes, r->bytes, __ATOMIC_RELAXED);
	__atomic_fetch_add(&row->lat_sum_us, r->latency_ns / 1000,
			   __ATOMIC_RELAXED);
	__atomic_fetch_add(&row->hist[bucket], 1, __ATOMIC_RELAXED);
}

/*
 * The export's row: found by pointer, or claimed in the first free slot
 * with a compare-and-swap, so two workers never take one slot for two
 * exports. Slots are never given back (an export lives as long as its VM).
 */
static struct callstats_row *export_row(struct callstats *s,
					const struct export *exp)
{
	unsigned int i;

	for (i = 0; i < CALLSTATS_MAX_EXPORTS; i++) {
		struct callstats_export *e = &s->exp[i];
		const struct export *cur =
			__atomic_load_n(&e->exp, __ATOMIC_ACQUIRE);

		if (cur == exp)
			return &e->row;
		if (cur)
			continue;
		if (__atomic_compare_exchange_n(&e->exp, &cur, exp, false,
						__ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE) ||
		    cur == exp)
			return &e->row;
	}
	return &s->other_exp;
}

void callstats_add(struct callstats *s, const struct call_record *r)
{
	unsigned int bucket = callstats_bucket(r->latency_ns);

	row_add(&s->op[r->op <= DEVCALL_OP_MAX ? r->op : 0], r, bucket);
	if (r->exp)
		row_add(export_row(s, r->exp), r, bucket);
}

void callstats_parked(struct callstats *s, int delta)
{
	__atomic_fetch_add(&s->parked, (uint32_t)delta, __ATOMIC_RELAXED);
}

uint64_t callstats_row_calls(const struct callstats_row *r)
{
	uint64_t n = 0;
	unsigned int i;

	for (i = 0; i < CALLSTATS_BUCKETS; i++)
		n += __atomic_load_n(&r->hist[i], __ATOMIC_RELAXED);
	return n;
}

void callstats_row_read(const struct callstats_row *r,
			struct callstats_row *out)
{
	unsigned int i;

	out->calls = 0;
	out->errors = __atomic_load_n(&r->errors, __ATOMIC_RELAXED);
	out->bytes = __atomic_load_n(&r->bytes, __ATOMIC_RELAXED);
	out->lat_sum_us = __atomic_load_n(&r->lat_sum_us, __ATOMIC_RELAXED);
	for (i = 0; i < CALLSTATS_BUCKETS; i++) {
		out->hist[i] = __atomic_load_n(&r->hist[i], __ATOMIC_RELAXED);
		out->calls += out->hist[i];
	}
}
