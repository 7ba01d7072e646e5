/*
 * check_main.h - the one way a unit test program runs its suite: Check in
 * fork mode (a crash fails one test, not the program), exit status 1 when
 * any test failed.
 */
#ifndef WHORL_CHECK_MAIN_H
#define WHORL_CHECK_MAIN_H

#include <check.h>
#include <stdlib.h>

static inline int check_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#endif
