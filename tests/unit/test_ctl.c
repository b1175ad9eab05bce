// SPDX-License-Identifier: MIT
/*
 * The control socket's request parsing (ctl_proto.c), the call counters
 * and histograms (callstats.c) and the trace rings (calltrace.c).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"

#include "callstats.h"
#include "calltrace.h"
#include "config.h"
#include "ctl_proto.h"

static int parse(const char *line, struct ctl_req *req, char *err)
{
	return ctl_parse(line, strlen(line), req, err, 256);
}

static void test_parse_commands(void **state)
{
	struct ctl_req req;
	char err[256];

	(void)state;
	assert_int_equal(parse("{\"v\":1,\"cmd\":\"status\"}\n", &req, err), 0);
	assert_int_equal(req.cmd, CTL_STATUS);
	assert_string_equal(req.vm, "");
	assert_int_equal(req.op, -1);
	assert_int_equal(parse("{\"v\":1,\"cmd\":\"stats\",\"vm\":\"a\"}",
			       &req, err), 0);
	assert_int_equal(req.cmd, CTL_STATS);
	assert_string_equal(req.vm, "a");
	assert_int_equal(parse("{\"v\":1,\"cmd\":\"trace\",\"vm\":\"a\","
			       "\"export\":\"zero\",\"op\":\"ioctl\"}",
			       &req, err), 0);
	assert_int_equal(req.cmd, CTL_TRACE);
	assert_string_equal(req.name, "zero");
	assert_int_equal(req.op, DEVCALL_OP_IOCTL);
	assert_int_equal(parse("{\"v\":1,\"cmd\":\"reload\"}", &req, err), 0);
	assert_int_equal(req.cmd, CTL_RELOAD);
	assert_int_equal(parse("{\"v\":1,\"cmd\":\"export-remove\","
			       "\"vm\":\"a\",\"export\":\"x\"}", &req, err),
			 0);
	assert_int_equal(req.cmd, CTL_EXPORT_REMOVE);
}

static void test_parse_export_add(void **state)
{
	struct ctl_req req;
	char err[256], flag[2 * PATH_MAX];

	(void)state;
	assert_int_equal(parse("{\"v\":1,\"cmd\":\"export-add\",\"vm\":\"a\","
			       "\"export\":\"n\",\"path\":\"/dev/null\","
			       "\"options\":[\"access=rw\","
			       "\"sharing=exclusive\"]}",
			       &req, err), 0);
	assert_int_equal(req.nr_opts, 2);
	assert_int_equal(ctl_export_flag(&req, flag, sizeof(flag)), 0);
	assert_string_equal(flag, "a:n=/dev/null,access=rw,sharing=exclusive");
	assert_int_equal(ctl_export_flag(&req, flag, 10), -ENAMETOOLONG);
}

static void test_parse_vm_add(void **state)
{
	struct ctl_req req;
	char err[256], flag[2 * PATH_MAX];

	(void)state;
	assert_int_equal(parse("{\"v\":1,\"cmd\":\"vm-add\",\"vm\":\"b\","
			       "\"path\":\"/etc/devcall/libvirt/b.ini\","
			       "\"options\":[\"memory=auto\"]}",
			       &req, err), 0);
	assert_int_equal(req.cmd, CTL_VM_ADD);
	assert_string_equal(req.path, "/etc/devcall/libvirt/b.ini");
	assert_int_equal(ctl_vm_flag(&req, flag, sizeof(flag)), 0);
	assert_string_equal(flag, "b,memory=auto");
	assert_int_equal(ctl_vm_flag(&req, flag, 4), -ENAMETOOLONG);
	assert_int_equal(parse("{\"v\":1,\"cmd\":\"vm-add\",\"vm\":\"c\"}",
			       &req, err), 0);
	assert_int_equal(parse("{\"v\":1,\"cmd\":\"vm-remove\",\"vm\":\"b\"}",
			       &req, err), 0);
	assert_int_equal(req.cmd, CTL_VM_REMOVE);
}

static const char *const bad_lines[] = {
	"{\"v\":1,\"cmd\":\"vm-add\"}",			/* no vm */
	"{\"v\":1,\"cmd\":\"vm-add\",\"vm\":\"b\",\"path\":\"b.ini\"}",
	"{\"v\":1,\"cmd\":\"vm-add\",\"vm\":\"b,memory=auto\"}",
	"{\"v\":1,\"cmd\":\"vm-add\",\"vm\":\"b\","
	"\"options\":[\"memory=auto,workers=9\"]}",
	"{\"v\":1,\"cmd\":\"vm-remove\"}",
	"",
	"   ",
	"[1,2]",
	"{\"cmd\":\"status\"}",				/* no version */
	"{\"v\":\"1\",\"cmd\":\"status\"}",	/* a string version */
	"{\"v\":1}",					/* no command */
	"{\"v\":1,\"cmd\":7}",
	"{\"v\":1,\"cmd\":\"shutdown\"}",
	"{\"v\":1,\"cmd\":\"status\"} junk",
	"{\"v\":1,\"cmd\":\"status\"",			/* cut short */
	"{\"v\":1,\"cmd\":\"status\",\"vm\":\"a:b\"}", /* --export */
	"{\"v\":1,\"cmd\":\"status\",\"vm\":5}",
	"{\"v\":1,\"cmd\":\"trace\",\"op\":\"reboot\"}",
	"{\"v\":1,\"cmd\":\"trace\",\"export\":\"a=b\"}",
	"{\"v\":1,\"cmd\":\"export-add\",\"vm\":\"a\",\"export\":\"n\"}",
	"{\"v\":1,\"cmd\":\"export-add\",\"vm\":\"a\",\"export\":\"n\","
	"\"path\":\"/x,access=rw\"}",
	"{\"v\":1,\"cmd\":\"export-add\",\"vm\":\"a\",\"export\":\"n\","
	"\"path\":\"/x\",\"options\":[\"access=rw,scsi=passthrough\"]}",
	"{\"v\":1,\"cmd\":\"export-add\",\"vm\":\"a\",\"export\":\"n\","
	"\"path\":\"/x\",\"options\":[\"ro\"]}",
	"{\"v\":1,\"cmd\":\"export-add\",\"vm\":\"a\",\"export\":\"n\","
	"\"path\":\"/x\",\"options\":\"access=rw\"}",
	"{\"v\":1,\"cmd\":\"export-remove\",\"vm\":\"a\"}",
};

static void test_parse_bad(void **state)
{
	struct ctl_req req;
	char err[256];
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(bad_lines) / sizeof(*bad_lines); i++) {
		err[0] = '\0';
		if (parse(bad_lines[i], &req, err) == 0)
			fail_msg("accepted: %s", bad_lines[i]);
		assert_true(err[0] != '\0');
	}
}

static void test_parse_version(void **state)
{
	struct ctl_req req;
	char err[256];

	(void)state;
	assert_int_equal(parse("{\"v\":2,\"cmd\":\"status\"}", &req, err),
			 -EPROTO);
	assert_non_null(strstr(err, "version 2"));
}

static void test_parse_too_long(void **state)
{
	static char line[CTL_LINE_MAX + 64];
	struct ctl_req req;
	char err[256];

	(void)state;
	memset(line, ' ', sizeof(line) - 1);
	memcpy(line, "{\"v\":1,\"cmd\":\"status\"}", 22);
	assert_int_equal(ctl_parse(line, sizeof(line) - 1, &req, err,
				   sizeof(err)), -EINVAL);
}

static void test_bucket(void **state)
{
	(void)state;
	assert_int_equal(callstats_bucket(0), 0);
	assert_int_equal(callstats_bucket(1999), 0);	/* < 2 us */
	assert_int_equal(callstats_bucket(2000), 1);
	assert_int_equal(callstats_bucket(3999), 1);
	assert_int_equal(callstats_bucket(4000), 2);
	assert_int_equal(callstats_bucket(1000000), 9);	/* 512..1023 us */
	assert_int_equal(callstats_bucket(UINT64_MAX), CALLSTATS_BUCKETS - 1);
}

static void test_stats_add(void **state)
{
	static struct callstats s;
	static struct export e1 = { .id = 1, .name = "zero" };
	static struct export e2 = { .id = 2, .name = "null" };
	struct call_record r = { .op = DEVCALL_OP_IOCTL, .bytes = 60,
				 .result = -ENOTTY, .latency_ns = 5000,
				 .exp = &e1 };
	struct callstats_row row;

	(void)state;
	callstats_add(&s, &r);
	r.result = 0;
	r.latency_ns = 100;
	r.exp = &e2;
	callstats_add(&s, &r);
	r.op = 99;		/* out of range: the undecoded row */
	r.exp = NULL;
	callstats_add(&s, &r);
	callstats_row_read(&s.op[DEVCALL_OP_IOCTL], &row);
	assert_int_equal(row.calls, 2);
	assert_int_equal(row.errors, 1);
	assert_int_equal(row.bytes, 120);
	assert_int_equal(row.hist[2], 1);	/* 5 us */
	assert_int_equal(row.hist[0], 1);
	assert_int_equal(callstats_row_calls(&s.op[0]), 1);
	assert_ptr_equal(s.exp[0].exp, &e1);
	assert_ptr_equal(s.exp[1].exp, &e2);
	assert_int_equal(callstats_row_calls(&s.exp[0].row), 1);
	assert_int_equal(s.exp[0].row.errors, 1);
	assert_int_equal(callstats_row_calls(&s.exp[1].row), 1);
	assert_null(s.exp[2].exp);
	callstats_parked(&s, 1);
	callstats_parked(&s, -1);
	assert_int_equal(s.parked, 0);
	assert_string_equal(callstats_op_name(DEVCALL_OP_OPEN), "open");
	assert_string_equal(callstats_op_name(200), "?");
	assert_int_equal(callstats_op_by_name("blkinfo"), DEVCALL_OP_BLKINFO);
	assert_int_equal(callstats_op_by_name("nope"), -1);
}

static void test_trace_filter_and_drops(void **state)
{
	static struct export zero = { .id = 1, .name = "zero" };
	struct calltrace_filter all = { .op = -1 };
	struct calltrace_filter only = { .vm = "a", .exp = "zero",
					 .op = DEVCALL_OP_IOCTL };
	struct call_record r = { .op = DEVCALL_OP_IOCTL, .exp = &zero,
				 .result = 0 };
	struct calltrace_event ev;
	int id_all, id_only, n;
	unsigned int i;

	(void)state;
	assert_int_equal(calltrace_active, 0);
	assert_false(calltrace_on());
	assert_true(calltrace_notify_fd() >= 0);
	id_all = calltrace_subscribe(&all);
	id_only = calltrace_subscribe(&only);
	assert_true(id_all >= 0 && id_only >= 0 && id_all != id_only);
	assert_true(calltrace_on());
	calltrace_emit("a", &r);
	calltrace_emit("b", &r);		/* other VM */
	r.op = DEVCALL_OP_READ;
	calltrace_emit("a", &r);		/* other op */
	r.op = DEVCALL_OP_IOCTL;
	r.exp = NULL;
	calltrace_emit("a", &r);		/* no export */
	for (n = 0; calltrace_next(id_all, &ev); n++)
		;
	assert_int_equal(n, 4);
	assert_int_equal(calltrace_next(id_only, &ev), 1);
	assert_string_equal(ev.vm, "a");
	assert_string_equal(ev.exp, zero.name);
	assert_true(ev.time_ns > 0);
	assert_int_equal(calltrace_next(id_only, &ev), 0);

	/* A subscriber that does not read loses events, counted. */
	for (i = 0; i < CALLTRACE_RING + 10; i++)
		calltrace_emit("a", &r);
	assert_int_equal(calltrace_take_drops(id_all), 10);
	assert_int_equal(calltrace_take_drops(id_all), 0);
	for (n = 0; calltrace_next(id_all, &ev); n++)
		;
	assert_int_equal(n, CALLTRACE_RING);
	calltrace_notify_clear();
	calltrace_unsubscribe(id_all);
	calltrace_unsubscribe(id_only);
	assert_false(calltrace_on());
}

static void test_trace_full(void **state)
{
	struct calltrace_filter all = { .op = -1 };
	int ids[CALLTRACE_MAX_SUBS];
	unsigned int i;

	(void)state;
	for (i = 0; i < CALLTRACE_MAX_SUBS; i++) {
		ids[i] = calltrace_subscribe(&all);
		assert_true(ids[i] >= 0);
	}
	assert_int_equal(calltrace_subscribe(&all), -EBUSY);
	for (i = 0; i < CALLTRACE_MAX_SUBS; i++)
		calltrace_unsubscribe(ids[i]);
	assert_int_equal(calltrace_active, 0);
}

/*
 * Workers push while the loop drains: every event arrives once, in each
 * producer's order, or is counted dropped; none is torn or doubled.
 */
#define PRODUCERS	4
#define PER_PRODUCER	200000u

static const char *const producer_vm[PRODUCERS] = { "p0", "p1", "p2", "p3" };

static void *producer(void *arg)
{
	unsigned int p = (unsigned int)(uintptr_t)arg, i;
	struct call_record r = { .op = DEVCALL_OP_READ };

	for (i = 1; i <= PER_PRODUCER; i++) {
		r.bytes = i;
		r.cmd = p;
		r.result = -(int64_t)i;
		calltrace_emit(producer_vm[p], &r);
	}
	return NULL;
}

static void test_trace_concurrent(void **state)
{
	struct calltrace_filter all = { .op = -1 };
	uint64_t last[PRODUCERS] = { 0 }, got = 0, dropped = 0;
	pthread_t th[PRODUCERS];
	struct calltrace_event ev;
	unsigned int p;
	int id;

	(void)state;
	id = calltrace_subscribe(&all);
	assert_true(id >= 0);
	for (p = 0; p < PRODUCERS; p++)
		assert_int_equal(pthread_create(&th[p], NULL, producer,
						(void *)(uintptr_t)p), 0);
	/* Until every event arrived or was counted dropped. */
	while (got + dropped < (uint64_t)PRODUCERS * PER_PRODUCER) {
		while (calltrace_next(id, &ev)) {
			p = ev.rec.cmd;
			assert_true(p < PRODUCERS);
			assert_string_equal(ev.vm, producer_vm[p]);
			assert_int_equal(ev.rec.result, -(int64_t)ev.rec.bytes);
			assert_true(ev.rec.bytes > last[p]);
			last[p] = ev.rec.bytes;
			got++;
		}
		dropped += calltrace_take_drops(id);
	}
	for (p = 0; p < PRODUCERS; p++)
		pthread_join(th[p], NULL);
	assert_int_equal(calltrace_next(id, &ev), 0);
	assert_int_equal(calltrace_take_drops(id), 0);
	assert_int_equal(got + dropped, (uint64_t)PRODUCERS * PER_PRODUCER);
	assert_true(got >= CALLTRACE_RING);
	calltrace_unsubscribe(id);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_parse_commands),
	cmocka_unit_test(test_parse_export_add),
	cmocka_unit_test(test_parse_vm_add),
	cmocka_unit_test(test_parse_bad),
	cmocka_unit_test(test_parse_version),
	cmocka_unit_test(test_parse_too_long),
	cmocka_unit_test(test_bucket),
	cmocka_unit_test(test_stats_add),
	cmocka_unit_test(test_trace_filter_and_drops),
	cmocka_unit_test(test_trace_full),
	cmocka_unit_test(test_trace_concurrent),
};

TEST_MAIN("ctl", tests, NULL, NULL)
