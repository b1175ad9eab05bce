/* SPDX-License-Identifier: MIT */
/*
 * What the calls of one VM did, for devcallctl: counters and log2
 * latency histograms per op and per export, the calls parked now, and
 * calls refused before they were decoded (over the VM's budget). Workers
 * add with relaxed atomics and no lock; the control socket reads a
 * snapshot that may be a call or two behind, which is fine for counters.
 */
#ifndef DEVCALL_CALLSTATS_H
#define DEVCALL_CALLSTATS_H

#include <stdint.h>

#include "devcall_abi.h"

/* Bucket i: latencies in [2^i, 2^(i+1)) microseconds; 0 also below 1. */
#define CALLSTATS_BUCKETS	24
/* Exports seen over the VM's life, reloads included; more share "other". */
#define CALLSTATS_MAX_EXPORTS	128

struct export;

struct callstats_row {
	uint64_t calls;			/* not kept: the histogram's sum */
	uint64_t errors;		/* result < 0 */
	uint64_t bytes;			/* request buffers and inline data */
	uint64_t lat_sum_us;
	uint64_t hist[CALLSTATS_BUCKETS];
};

struct callstats_export {
	const struct export *exp;	/* set once; never freed (vm.h) */
	struct callstats_row row;
};

struct callstats {
	struct callstats_row op[DEVCALL_OP_MAX + 1];	/* [0]: undecoded */
	struct callstats_export exp[CALLSTATS_MAX_EXPORTS];
	struct callstats_row other_exp;	/* past CALLSTATS_MAX_EXPORTS */
	uint64_t refused;		/* answered before dispatch */
	uint32_t parked;		/* in the wait set now */
};

/* One finished call, as the call mechanism saw it. */
struct call_record {
	uint16_t op;			/* 0: not decoded */
	uint32_t cmd;			/* IOCTL, LAYOUT */
	uint64_t bytes;
	int64_t result;
	uint64_t latency_ns;
	const struct export *exp;	/* NULL: none (bad handle, undecoded) */
};

/* The histogram bucket of a latency in nanoseconds. */
unsigned int callstats_bucket(uint64_t ns);

/* Count r in s. Any thread, no lock. */
void callstats_add(struct callstats *s, const struct call_record *r);

/* Calls parked now: +1 when one parks, -1 when it leaves the wait set. */
void callstats_parked(struct callstats *s, int delta);

/* Calls counted in a live row (its histogram's sum). */
uint64_t callstats_row_calls(const struct callstats_row *r);

/* A consistent-enough copy of a row (relaxed loads), calls filled in. */
void callstats_row_read(const struct callstats_row *r,
			struct callstats_row *out);

/* "open", "ioctl", ...; "?" for anything else. */
const char *callstats_op_name(unsigned int op);

/* The op called name, or -1. */
int callstats_op_by_name(const char *name);

#endif /* DEVCALL_CALLSTATS_H */
