// SPDX-License-Identifier: MIT
/*
 * QMP event parsing: the greeting and answers are not events, RESET and
 * SHUTDOWN are, objects may arrive in pieces or several at once, and a
 * malformed or endless stream ends the connection, never the daemon.
 */
#include <errno.h>
#include <string.h>

#include "harness.h"
#include "qmp_events.h"

static int resets, shutdowns;

static void count(void *ctx, enum qmp_event ev)
{
	(void)ctx;
	resets += ev == QMP_EV_RESET;
	shutdowns += ev == QMP_EV_SHUTDOWN;
}

static int feed(struct qmp_events *q, const char *s)
{
	return qmp_events_feed(q, s, strlen(s), count, NULL);
}

static void test_events(void **state)
{
	struct qmp_events *q = qmp_events_new();

	(void)state;
	resets = shutdowns = 0;
	assert_int_equal(feed(q, "{\"QMP\": {\"version\": {}, \"capabilities\": []}}\r\n"), 0);
	assert_int_equal(feed(q, "{\"return\": {}}\r\n"), 0);
	assert_int_equal(resets + shutdowns, 0);
	assert_int_equal(feed(q, "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, "
			      "\"event\": \"RESET\", \"data\": {\"guest\": false}}\r\n"), 0);
	assert_int_equal(resets, 1);
	/* In pieces, and two in one read. */
	assert_int_equal(feed(q, "{\"event\": \"RES"), 0);
	assert_int_equal(feed(q, "ET\"}\r\n{\"event\": \"SHUTDOWN\"}\r\n{\"event\": \"STOP\"}"), 0);
	assert_int_equal(resets, 2);
	assert_int_equal(shutdowns, 1);
	/* An event name that is not a string is no event. */
	assert_int_equal(feed(q, "{\"event\": 5}\r\n"), 0);
	assert_int_equal(resets, 2);
	qmp_events_free(q);
}

static void test_bad_streams(void **state)
{
	struct qmp_events *q = qmp_events_new();
	char big[4096];
	int i, ret = 0;

	(void)state;
	assert_int_equal(feed(q, "{\"event\": }"), -EPROTO);
	qmp_events_free(q);

	/* An object that never ends is cut off, not buffered forever. */
	q = qmp_events_new();
	memset(big, ' ', sizeof(big));
	big[0] = '[';
	assert_int_equal(qmp_events_feed(q, big, 1, count, NULL), 0);
	for (i = 0; i < 100 && !ret; i++)
		ret = qmp_events_feed(q, big + 1, sizeof(big) - 1, count, NULL);
	assert_int_equal(ret, -EPROTO);
	qmp_events_free(q);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_events),
	cmocka_unit_test(test_bad_streams),
};

TEST_MAIN("qmp_events", tests, NULL, NULL)
