// SPDX-License-Identifier: MIT
/*
 * Exports added and removed while a VM runs (vm_exports_reload()), with
 * the mock backend: the diff by name, stable and never reused ids, open
 * files of a removed export closed (their handles answer -ENXIO), claims
 * released, an OPEN racing the reload.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "backend_mock.h"
#include "config.h"
#include "dispatch.h"
#include "fake_guest.h"
#include "log.h"

struct fixture {
	struct config *cfg;		/* what the VMs were created with */
	struct config *next;		/* what a test reloads */
	struct host *host;
	struct vm *a, *b;
	struct fake_guest g;
	struct request req;
	struct response resp;
};

static void quiet_log(enum log_level level, const char *line)
{
	(void)level;
	(void)line;
}

/* A finished configuration: VM a's exports, then VM b's "excl". */
static struct config *config_make(const char *const *exports)
{
	struct config *cfg = calloc(1, sizeof(*cfg));
	char err[256];

	assert_non_null(cfg);
	config_init(cfg);
	fake_config_flag(cfg, "--vm", "a,max-open=8");
	fake_config_flag(cfg, "--vm", "b");
	for (; *exports; exports++)
		fake_config_flag(cfg, "--export", *exports);
	fake_config_flag(cfg, "--export",
			 "b:excl=/dev/zero,backend=mock,exclusive");
	if (config_finish(cfg, err, sizeof(err)))
		fail_msg("%s", err);
	return cfg;
}

static const char *const initial[] = {
	"a:x=/dev/null,backend=mock",
	"a:y=/dev/null,backend=mock",
	"a:z=/dev/null,backend=mock",
	"a:excl=/dev/zero,backend=mock,exclusive",
	NULL
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	mock_reset();
	f->cfg = config_make(initial);
	f->host = host_create();
	f->a = vm_create(f->host, config_find_vm(f->cfg, "a"));
	f->b = vm_create(f->host, config_find_vm(f->cfg, "b"));
	fake_guest_init(&f->g);
	vm_set_memory(f->a, &f->g.gm);
	vm_set_memory(f->b, &f->g.gm);
	log_set_sink(quiet_log);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	vm_destroy(f->a);
	vm_destroy(f->b);
	assert_int_equal(mock_calls()->open_now, 0);
	host_destroy(f->host);
	fake_guest_fini(&f->g);
	log_set_sink(NULL);
	free(f->next);
	free(f->cfg);
	free(f);
	return 0;
}

static int reload(struct fixture *f, const char *const *exports,
		  struct vm_reload_stats *st)
{
	free(f->next);
	f->next = config_make(exports);
	return vm_exports_reload(f->a, config_find_vm(f->next, "a"), st);
}

static uint32_t id_of(struct vm *vm, const char *name)
{
	const struct export *exps[CONFIG_MAX_EXPORTS];
	unsigned int i, n = vm_exports(vm, exps, NULL);

	for (i = 0; i < n; i++)
		if (!strcmp(exps[i]->name, name))
			return exps[i]->id;
	return 0;
}

static int64_t do_open(struct fixture *f, struct vm *vm, uint32_t export)
{
	fake_req_init(&f->req, DEVCALL_OP_OPEN, 0);
	f->req.export_id = export;
	f->req.arg = DEVCALL_O_RDWR;
	dispatch_request(vm, &f->req, &f->resp);
	return f->resp.result;
}

static int64_t do_read(struct fixture *f, struct vm *vm, uint64_t h)
{
	fake_req_init(&f->req, DEVCALL_OP_READ, h);
	f->req.len = 4;
	dispatch_request(vm, &f->req, &f->resp);
	return f->resp.result;
}

static int64_t do_close(struct fixture *f, struct vm *vm, uint64_t h)
{
	fake_req_init(&f->req, DEVCALL_OP_CLOSE, h);
	dispatch_request(vm, &f->req, &f->resp);
	return f->resp.result;
}

/*
 * Unchanged exports keep their ids; a changed one is removed and added
 * with a new id; new ones get ids past any used; a removed name added
 * back does not get its old id.
 */
static void test_diff_and_ids(void **state)
{
	static const char *const next[] = {
		"a:y=/dev/null,backend=mock",
		"a:z=/dev/null,backend=mock,ro",	/* changed */
		"a:w=/dev/null,backend=mock",		/* new */
		"a:excl=/dev/zero,backend=mock,exclusive",
		NULL
	};
	static const char *const again[] = {
		"a:x=/dev/null,backend=mock",		/* back */
		"a:y=/dev/null,backend=mock",
		NULL
	};
	struct fixture *f = *state;
	struct vm_reload_stats st;
	uint32_t gen0, gen1;
	const struct export *exps[CONFIG_MAX_EXPORTS];

	assert_int_equal(id_of(f->a, "x"), 1);
	assert_int_equal(id_of(f->a, "z"), 3);
	vm_exports(f->a, exps, &gen0);

	assert_int_equal(reload(f, next, &st), 0);
	assert_int_equal(st.added, 2);
	assert_int_equal(st.removed, 2);		/* x, and z as it was */
	assert_int_equal(id_of(f->a, "x"), 0);
	assert_int_equal(id_of(f->a, "y"), 2);
	assert_int_equal(id_of(f->a, "z"), 5);		/* after excl's 4 */
	assert_int_equal(id_of(f->a, "w"), 6);
	assert_int_equal(id_of(f->a, "excl"), 4);
	assert_null(vm_export_by_id(f->a, 1));
	assert_null(vm_export_by_id(f->a, 3));
	assert_true(vm_export_by_id(f->a, 5)->read_only);
	assert_int_equal(vm_exports(f->a, exps, &gen1), 4);
	assert_int_not_equal(gen0, gen1);
	/* The VM's own config is untouched; the new one can go. */
	assert_int_equal(config_find_vm(f->cfg, "a")->nr_exports, 4);

	assert_int_equal(reload(f, again, &st), 0);
	assert_int_equal(st.added, 1);
	assert_int_equal(st.removed, 3);
	assert_int_equal(id_of(f->a, "x"), 7);		/* never 1 again */
	assert_int_equal(id_of(f->a, "y"), 2);
	assert_int_equal(do_open(f, f->a, 1), -ENODEV);
	assert_true(do_open(f, f->a, 7) > 0);
	assert_int_equal(vm_open_count(f->a), 1);
}

/* The same configuration again changes nothing: not even the generation. */
static void test_unchanged(void **state)
{
	struct fixture *f = *state;
	struct vm_reload_stats st;
	const struct export *exps[CONFIG_MAX_EXPORTS];
	const struct export *y = vm_export_by_id(f->a, 2);
	uint32_t gen0, gen1;
	int64_t h = do_open(f, f->a, 2);

	vm_exports(f->a, exps, &gen0);
	assert_int_equal(reload(f, initial, &st), 0);
	assert_int_equal(st.added + st.removed + st.closed, 0);
	vm_exports(f->a, exps, &gen1);
	assert_int_equal(gen0, gen1);
	assert_ptr_equal(vm_export_by_id(f->a, 2), y);
	assert_int_equal(do_read(f, f->a, h), 4);
}

/*
 * Files open on a removed export are closed at once; their handles
 * answer -ENXIO (READ and CLOSE); other exports' files are untouched.
 */
static void test_removed_files_closed(void **state)
{
	static const char *const next[] = {
		"a:y=/dev/null,backend=mock",
		"a:z=/dev/null,backend=mock",
		NULL
	};
	struct fixture *f = *state;
	struct vm_reload_stats st;
	int64_t hx1 = do_open(f, f->a, 1), hx2 = do_open(f, f->a, 1);
	int64_t hy = do_open(f, f->a, 2);

	assert_true(hx1 > 0 && hx2 > 0 && hy > 0);
	assert_int_equal(mock_calls()->open_now, 3);
	assert_int_equal(reload(f, next, &st), 0);
	assert_int_equal(st.closed, 2);
	assert_int_equal(mock_calls()->open_now, 1);
	assert_int_equal(vm_open_count(f->a), 1);
	assert_int_equal(do_read(f, f->a, hx1), -ENXIO);
	assert_int_equal(do_close(f, f->a, hx2), -ENXIO);
	assert_int_equal(do_read(f, f->a, hy), 4);
	assert_int_equal(do_read(f, f->a, hy + 1), -EBADF);
	/* Slots are reused; the old handle still names no file. */
	assert_true(do_open(f, f->a, 2) > 0);
	assert_true(do_open(f, f->a, 2) > 0);
	assert_int_equal(do_read(f, f->a, hx1), -ENXIO);
	assert_int_equal(do_close(f, f->a, hy), 0);
}

/* A removed exclusive export's claim goes with its file. */
static void test_claims_released(void **state)
{
	static const char *const next[] = {
		"a:x=/dev/null,backend=mock",
		NULL
	};
	struct fixture *f = *state;
	struct vm_reload_stats st;
	uint32_t bexcl = id_of(f->b, "excl");

	assert_true(do_open(f, f->a, 4) > 0);
	assert_int_equal(do_open(f, f->b, bexcl), -EBUSY);
	assert_int_equal(reload(f, next, &st), 0);
	assert_int_equal(st.closed, 1);
	assert_true(do_open(f, f->b, bexcl) > 0);
}

/* A file a running request holds is closed when that request lets go. */
static void test_running_request_holds_file(void **state)
{
	static const char *const next[] = { NULL };
	struct fixture *f = *state;
	struct vm_reload_stats st;
	int64_t h = do_open(f, f->a, 4);
	struct open_file *of = vm_file_get(f->a, h);	/* a running call */

	assert_non_null(of);
	assert_int_equal(reload(f, next, &st), 0);
	assert_int_equal(st.removed, 4);
	assert_int_equal(vm_open_count(f->a), 0);
	assert_int_equal(mock_calls()->open_now, 1);
	assert_string_equal(of->exp->name, "excl");	/* still readable */
	assert_int_equal(do_open(f, f->b, id_of(f->b, "excl")), -EBUSY);
	vm_file_put(f->a, of);
	assert_int_equal(mock_calls()->open_now, 0);
	assert_true(do_open(f, f->b, id_of(f->b, "excl")) > 0);
}

static struct fixture *race_fixture;

static void reload_during_open(void)
{
	static const char *const next[] = {
		"a:y=/dev/null,backend=mock",
		NULL
	};
	struct vm_reload_stats st;

	assert_int_equal(reload(race_fixture, next, &st), 0);
}

/*
 * An OPEN that found its export before a reload removed it may not add
 * its file after: closed, the claim released, -ENXIO.
 */
static void test_open_racing_reload(void **state)
{
	struct fixture *f = *state;

	race_fixture = f;
	mock_set_open_hook(reload_during_open);
	assert_int_equal(do_open(f, f->a, 4), -ENXIO);
	mock_set_open_hook(NULL);
	assert_int_equal(vm_open_count(f->a), 0);
	assert_int_equal(mock_calls()->open_now, 0);
	assert_true(do_open(f, f->b, id_of(f->b, "excl")) > 0);
}

/*
 * Workers serve OPEN, READ and CLOSE while reloads add and remove exports
 * under them: every answer is one a reload allows, and no file is left.
 */
struct hammer {
	struct fixture *f;
	struct request req;
	struct response resp;
	unsigned int bad;
	int64_t last_bad;
	int bad_op;
	bool *stop;
};

static int64_t hammer_call(struct hammer *h, uint16_t op, uint64_t handle,
			   uint32_t export)
{
	fake_req_init(&h->req, op, handle);
	h->req.export_id = export;
	h->req.arg = DEVCALL_O_RDWR;
	if (op == DEVCALL_OP_READ)
		h->req.len = 4;
	dispatch_request(h->f->a, &h->req, &h->resp);
	return h->resp.result;
}

static void *hammer_thread(void *arg)
{
	struct hammer *h = arg;
	uint32_t id = 0;
	int64_t fd, r;

	while (!__atomic_load_n(h->stop, __ATOMIC_RELAXED)) {
		id = id % 40 + 1;
		fd = hammer_call(h, DEVCALL_OP_OPEN, 0, id);
		if (fd == -ENODEV || fd == -ENXIO || fd == -EMFILE ||
		    fd == -EROFS)	/* v is read-only */
			continue;
		if (fd <= 0) {
			h->bad++;
			h->last_bad = fd;
			h->bad_op = 1;
			continue;
		}
		r = hammer_call(h, DEVCALL_OP_READ, fd, 0);
		if (r != 4 && r != -ENXIO) {
			h->bad++;
			h->last_bad = r;
			h->bad_op = 2;
		}
		r = hammer_call(h, DEVCALL_OP_CLOSE, fd, 0);
		if (r != 0 && r != -ENXIO) {
			h->bad++;
			h->last_bad = r;
			h->bad_op = 3;
		}
	}
	return NULL;
}

static void test_concurrent_reloads(void **state)
{
	static const char *const one[] = {
		"a:x=/dev/null,backend=mock",
		"a:y=/dev/null,backend=mock",
		NULL
	};
	static const char *const two[] = {
		"a:y=/dev/null,backend=mock",
		"a:v=/dev/null,backend=mock,ro",
		NULL
	};
	struct fixture *f = *state;
	struct hammer h[3];
	bool stop = false;
	struct vm_reload_stats st;
	pthread_t t[3];
	unsigned int i;

	/* No exclusive export from here on: EBUSY would be a leaked claim. */
	assert_int_equal(reload(f, one, &st), 0);
	for (i = 0; i < 3; i++) {
		memset(&h[i], 0, sizeof(h[i]));
		h[i].f = f;
		h[i].stop = &stop;
		assert_int_equal(pthread_create(&t[i], NULL, hammer_thread,
						&h[i]), 0);
	}
	for (i = 0; i < 300; i++)
		assert_int_equal(reload(f, i & 1 ? one : two, &st), 0);
	__atomic_store_n(&stop, true, __ATOMIC_RELAXED);
	for (i = 0; i < 3; i++) {
		pthread_join(t[i], NULL);
		if (h[i].bad)
			fail_msg("%u bad answers, the last %lld to op %d",
				 h[i].bad, (long long)h[i].last_bad,
				 h[i].bad_op);
	}
	assert_int_equal(vm_open_count(f->a), 0);
	assert_int_equal(mock_calls()->open_now, 0);
	assert_int_equal(id_of(f->a, "y"), 2);	/* in both: never changed */
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

static const struct CMUnitTest tests[] = {
	T(test_diff_and_ids),
	T(test_unchanged),
	T(test_removed_files_closed),
	T(test_claims_released),
	T(test_running_request_holds_file),
	T(test_open_racing_reload),
	T(test_concurrent_reloads),
};

TEST_MAIN("reload", tests, NULL, NULL)
