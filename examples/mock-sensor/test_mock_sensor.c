// SPDX-License-Identifier: MIT
/*
 * The mock sensor end to end (root, QEMU): one guest boot through
 * devcall-vm runs sensor-guest against the plugin; the tests then check
 * what the guest printed and what the plugin recorded it was asked.
 *
 *	test_mock_sensor   (BUILD, TOP from the environment; make
 *			    mock-sensor-check sets them)
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#define LINES_MAX	32

struct lines {
	unsigned int n;
	char line[LINES_MAX][512];
};

static struct lines guest, record;
static int vm_status = -1;

static int read_lines(const char *path, struct lines *l)
{
	FILE *f = fopen(path, "r");
	char buf[512];

	l->n = 0;
	if (!f)
		return -errno;
	while (fgets(buf, sizeof(buf), f) && l->n < LINES_MAX) {
		buf[strcspn(buf, "\r\n")] = '\0';
		snprintf(l->line[l->n++], sizeof(l->line[0]), "%s", buf);
	}
	fclose(f);
	return 0;
}

/* The line starting with prefix, the nth one (0-based); NULL if none. */
static const char *find(const struct lines *l, const char *prefix,
			unsigned int nth)
{
	unsigned int i;

	for (i = 0; i < l->n; i++)
		if (!strncmp(l->line[i], prefix, strlen(prefix)) && !nth--)
			return l->line[i];
	return NULL;
}

/* One boot for every test. */
static int boot(void **state)
{
	const char *t = getenv("TOP"), *b = getenv("BUILD");
	char top[256], build[256], out[300], rec[320], gout[320];
	char cmd[4096];
	int st;

	(void)state;
	if (!t || !b || strlen(t) >= sizeof(top) ||
	    strlen(b) >= sizeof(build)) {
		fprintf(stderr, "TOP and BUILD must be set (short paths)\n");
		return -1;
	}
	strcpy(top, t);
	strcpy(build, b);
	snprintf(out, sizeof(out), "%s/e2e/mock-sensor", build);
	snprintf(rec, sizeof(rec), "%s/record.log", out);
	snprintf(gout, sizeof(gout), "%s/guest.out", out);
	snprintf(cmd, sizeof(cmd), "mkdir -p %s && rm -f %s && "
		 "%s/vmm-glue/devcall-vm --name e2e-sensor --timeout 240 "
		 "--plugin %s/examples/mock-sensor/devcall-mock-sensor.so "
		 "--export 'sensor=/dev/null,backend=mock-sensor,"
		 "options=record=%s' "
		 "--file %s/examples/mock-sensor/sensor-guest:/sensor-guest "
		 "--log %s/console.log --daemon-log %s/devcalld.log "
		 "-- /sensor-guest /dev/devcall/sensor > %s 2>&1",
		 out, rec, top, build, rec, build, out, out, gout);
	st = system(cmd);
	vm_status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	if (read_lines(gout, &guest) || read_lines(rec, &record))
		fprintf(stderr, "no output in %s (status %d)\n", out,
			vm_status);
	return 0;
}

static void test_guest_ran(void **state)
{
	(void)state;
	assert_int_equal(vm_status, 0);
	assert_non_null(find(&guest, "DONE", 0));
}

static void test_info(void **state)
{
	(void)state;
	assert_non_null(find(&guest, "INFO mock-sensor 1 64", 0));
}

/* The config reached the plugin through its pointer, field by field. */
static void test_config_through_pointer(void **state)
{
	(void)state;
	assert_string_equal(find(&guest, "CONFIG", 0), "CONFIG 0");
	assert_non_null(find(&record,
			     "set_config rate=50 scale=3 offset=-7 flags=0 -> 0",
			     0));
}

/* Samples written by the plugin landed in the guest's array. */
static void test_batches(void **state)
{
	(void)state;
	assert_string_equal(find(&guest, "BATCH", 0),
			    "BATCH 4 4 0:-7 1:-4 2:-1 3:2");
	assert_string_equal(find(&guest, "BATCH", 1), "BATCH 2 2 4:5 5:8");
	assert_non_null(find(&record, "read_batch size=64 -> 4", 0));
	assert_non_null(find(&record, "read_batch size=32 -> 2", 0));
}

/* The guest's mistakes come back as the plugin's errors. */
static void test_errors(void **state)
{
	(void)state;
	assert_string_equal(find(&guest, "BATCH", 2), "BATCH -22 0");
	assert_string_equal(find(&guest, "CONFIG", 1), "CONFIG -34");
	assert_string_equal(find(&guest, "CONFIG", 2), "CONFIG -22");
	assert_non_null(find(&record, "read_batch size=20 -> -22", 0));
	assert_non_null(find(&record, "set_config rate=5000", 0));
	assert_non_null(find(&record, "set_config size=8 -> -22", 0));
}

/* The whole conversation, in order: nothing else reached the plugin. */
static void test_record_order(void **state)
{
	static const char *const want[] = {
		"open", "get_info", "set_config rate=50", "read_batch size=64",
		"read_batch size=32", "read_batch size=20",
		"set_config rate=5000", "set_config size=8", "close",
	};
	unsigned int i;

	(void)state;
	assert_int_equal(record.n, sizeof(want) / sizeof(want[0]));
	for (i = 0; i < record.n; i++)
		assert_memory_equal(record.line[i], want[i], strlen(want[i]));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_guest_ran),
		cmocka_unit_test(test_info),
		cmocka_unit_test(test_config_through_pointer),
		cmocka_unit_test(test_batches),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_record_order),
	};

	return cmocka_run_group_tests_name("mock_sensor", tests, boot, NULL);
}
