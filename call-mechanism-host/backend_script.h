/* SPDX-License-Identifier: MIT */
/*
 * The "script" backend: a mock device whose answers come from a file and
 * which records every call it gets, so a test checks what a guest program
 * did without writing C (docs/plugins.md, "Scripted mock").
 *
 * A script is one rule per line, tried in file order; the first that
 * applies to a call answers it:
 *
 *	OP [SELECTOR] [call=N] [times=N] [errno=E] [result=N]
 *	   [out=BYTES] [out0=BYTES..out3=BYTES] [delay=N{us,ms,s}]
 *
 * OP is open, close, read, write, ioctl or fsync; an ioctl's SELECTOR is
 * a layout's name (SENSOR_READ_BATCH) or a number, or * for any. BYTES
 * are "text" with C escapes or hex:0a0b.. The record is JSON lines.
 */
#ifndef DEVCALL_BACKEND_SCRIPT_H
#define DEVCALL_BACKEND_SCRIPT_H

#include <stddef.h>
#include <stdint.h>

#include "backend.h"

extern const struct backend_ops backend_script;

#define SCRIPT_RULES_MAX	256
#define SCRIPT_BYTES_MAX	4096	/* of one out= */
#define SCRIPT_OUTS		5	/* out, out0..out3 */

enum script_op { SCRIPT_OPEN, SCRIPT_CLOSE, SCRIPT_READ, SCRIPT_WRITE,
		 SCRIPT_IOCTL, SCRIPT_FSYNC, SCRIPT_NR_OPS };

struct script_bytes {
	uint32_t len;
	uint8_t *data;		/* NULL: not given */
};

struct script_rule {
	unsigned int line;
	enum script_op op;
	bool any_cmd;		/* ioctl *: every number */
	uint32_t cmd;
	unsigned int call;	/* 0: any; else only the Nth matching call */
	unsigned int times;	/* 0: unlimited */
	bool has_result;
	int64_t result;		/* or -errno */
	uint64_t delay_us;
	struct script_bytes out[SCRIPT_OUTS];	/* arg (or data), ptr 0..3 */
	/* Changing: under the script's lock. */
	unsigned int matched;	/* calls its OP and SELECTOR matched */
	unsigned int used;	/* calls it answered */
};

struct script {
	unsigned int nr_rules;
	struct script_rule rule[SCRIPT_RULES_MAX];
};

/*
 * Parse text (a script file's content) into s. 0, or -EINVAL with
 * "LINE: why" in err. Free with script_free() either way.
 */
int script_parse(const char *text, struct script *s, char *err,
		 size_t errlen);
/* script_parse() of a file; err then starts with its path. */
int script_load(const char *path, struct script *s, char *err,
		size_t errlen);
void script_free(struct script *s);

/*
 * The rule that answers a call of op (cmd for ioctls), counting the call
 * against every rule it matches; NULL if none (the default answer).
 */
struct script_rule *script_match(struct script *s, enum script_op op,
				 uint32_t cmd);

/* E (ENOTTY) or a number as an errno value; 0 if unknown. */
int script_errno(const char *name);

struct export;
/* config_finish(): the export's script loads (errors name file:line). */
int script_check(const struct export *exp, char *err, size_t errlen);

#endif /* DEVCALL_BACKEND_SCRIPT_H */
