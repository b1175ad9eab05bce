/* SPDX-License-Identifier: MIT */
/*
 * Shared harness for the cmocka unit tests: one binary per module, each
 * ending in TEST_MAIN(). A test name filter comes from argv[1] or from
 * DEVCALL_TEST_FILTER (cmocka glob, e.g. "*hostile*").
 */
#ifndef DEVCALL_TEST_HARNESS_H
#define DEVCALL_TEST_HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#define TEST_MAIN(group_name, tests, setup, teardown)			\
int main(int argc, char **argv)						\
{									\
	const char *filter = argc > 1 ? argv[1] :			\
			     getenv("DEVCALL_TEST_FILTER");		\
	if (filter && *filter)						\
		cmocka_set_test_filter(filter);				\
	return cmocka_run_group_tests_name(group_name, tests, setup,	\
					   teardown);			\
}

#endif /* DEVCALL_TEST_HARNESS_H */
