// SPDX-License-Identifier: MIT
/* The control socket's requests: see ctl_proto.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "callstats.h"
#include "ctl_proto.h"

static const char *const cmd_names[] = {
	[CTL_STATUS] = "status",
	[CTL_STATS] = "stats",
	[CTL_TRACE] = "trace",
	[CTL_RELOAD] = "reload",
	[CTL_EXPORT_ADD] = "export-add",
	[CTL_EXPORT_REMOVE] = "export-remove",
	[CTL_VM_ADD] = "vm-add",
	[CTL_VM_REMOVE] = "vm-remove",
};

const char *ctl_cmd_name(enum ctl_cmd cmd)
{
	return (unsigned int)cmd < sizeof(cmd_names) / sizeof(*cmd_names) ?
	       cmd_names[cmd] : "?";
}

static int bad(char *err, size_t errlen, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int bad(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return ret;
}

/* A name as config.c allows: it also cannot break the --export syntax. */
static bool name_ok(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '.' ||
		      *s == '-'))
			return false;
	return true;
}

/* Key "key" of obj as a string into buf: 0, 1 if absent, or -EINVAL. */
static int get_str(struct json_object *obj, const char *key, char *buf,
		   size_t len, char *err, size_t errlen)
{
	struct json_object *v;
	const char *s;

	if (!json_object_object_get_ex(obj, key, &v) ||
	    json_object_is_type(v, json_type_null))
		return 1;
	if (!json_object_is_type(v, json_type_string))
		return bad(err, errlen, -EINVAL, "\"%s\" is not a string", key);
	s = json_object_get_string(v);
	if (strlen(s) >= len)
		return bad(err, errlen, -EINVAL, "\"%s\" is too long", key);
	strcpy(buf, s);
	return 0;
}

static int parse_opts(struct json_object *obj, struct ctl_req *req,
		      char *err, size_t errlen)
{
	struct json_object *arr;
	size_t i, n;

	if (!json_object_object_get_ex(obj, "options", &arr))
		return 0;
	if (!json_object_is_type(arr, json_type_array))
		return bad(err, errlen, -EINVAL,
			   "\"options\" is not an array");
	n = json_object_array_length(arr);
	if (n > CTL_MAX_OPTS)
		return bad(err, errlen, -EINVAL, "more than %u options",
			   CTL_MAX_OPTS);
	for (i = 0; i < n; i++) {
		struct json_object *o = json_object_array_get_idx(arr, i);
		const char *s;

		if (!json_object_is_type(o, json_type_string))
			return bad(err, errlen, -EINVAL,
				   "option %zu is not a string", i);
		s = json_object_get_string(o);
		if (strlen(s) >= CTL_OPT_MAX)
			return bad(err, errlen, -EINVAL,
				   "option %zu is too long", i);
		/* The --export syntax splits at commas: one may not hide. */
		if (!strchr(s, '=') || strchr(s, ',') || s[0] == '=')
			return bad(err, errlen, -EINVAL,
				   "option '%s' is not key=value (no commas)",
				   s);
		strcpy(req->opts[req->nr_opts++], s);
	}
	return 0;
}

int ctl_parse(const char *line, size_t len, struct ctl_req *req, char *err,
	      size_t errlen)
{
	struct json_tokener *tok;
	struct json_object *obj, *v;
	char cmd[32] = "", op[16] = "";
	int ret, i;

	memset(req, 0, sizeof(*req));
	req->op = -1;
	if (errlen)
		err[0] = '\0';
	if (len > CTL_LINE_MAX)
		return bad(err, errlen, -EINVAL, "request longer than %u bytes",
			   CTL_LINE_MAX);
	tok = json_tokener_new();
	if (!tok)
		return bad(err, errlen, -ENOMEM, "out of memory");
	obj = json_tokener_parse_ex(tok, line, (int)len);
	ret = json_tokener_get_error(tok);
	/* Trailing bytes after the object are junk too. */
	if (obj && !ret && json_tokener_get_parse_end(tok) < len &&
	    strspn(line + json_tokener_get_parse_end(tok), " \t\r\n") !=
	    len - json_tokener_get_parse_end(tok))
		ret = json_tokener_error_parse_unexpected;
	json_tokener_free(tok);
	if (!obj || ret != json_tokener_success) {
		json_object_put(obj);
		return bad(err, errlen, -EINVAL, "not a JSON object: %s",
			   ret == json_tokener_success ? "empty" :
			   json_tokener_error_desc(ret));
	}
	ret = -EINVAL;
	if (!json_object_is_type(obj, json_type_object)) {
		bad(err, errlen, ret, "not a JSON object");
		goto out;
	}
	if (!json_object_object_get_ex(obj, "v", &v) ||
	    !json_object_is_type(v, json_type_int)) {
		bad(err, errlen, ret, "no protocol version \"v\"");
		goto out;
	}
	if (json_object_get_int64(v) != CTL_PROTO_VERSION) {
		ret = bad(err, errlen, -EPROTO,
			  "protocol version %lld not supported (this daemon "
			  "speaks %d)", (long long)json_object_get_int64(v),
			  CTL_PROTO_VERSION);
		goto out;
	}
	if (get_str(obj, "cmd", cmd, sizeof(cmd), err, errlen)) {
		if (!err[0])
			bad(err, errlen, ret, "no \"cmd\"");
		goto out;
	}
	for (i = 0; i < (int)(sizeof(cmd_names) / sizeof(*cmd_names)); i++)
		if (!strcmp(cmd, cmd_names[i]))
			break;
	if (i == (int)(sizeof(cmd_names) / sizeof(*cmd_names))) {
		bad(err, errlen, ret, "unknown command '%s'", cmd);
		goto out;
	}
	req->cmd = (enum ctl_cmd)i;
	if (get_str(obj, "vm", req->vm, sizeof(req->vm), err, errlen) < 0 ||
	    get_str(obj, "export", req->name, sizeof(req->name), err,
		    errlen) < 0 ||
	    get_str(obj, "path", req->path, sizeof(req->path), err,
		    errlen) < 0 ||
	    get_str(obj, "op", op, sizeof(op), err, errlen) < 0 ||
	    parse_opts(obj, req, err, errlen))
		goto out;
	if (req->vm[0] && !name_ok(req->vm)) {
		bad(err, errlen, ret, "bad VM name '%s'", req->vm);
		goto out;
	}
	if (req->name[0] && !name_ok(req->name)) {
		bad(err, errlen, ret, "bad export name '%s'", req->name);
		goto out;
	}
	if (op[0]) {
		req->op = callstats_op_by_name(op);
		if (req->op < 0) {
			bad(err, errlen, ret, "unknown op '%s'", op);
			goto out;
		}
	}
	switch (req->cmd) {
	case CTL_EXPORT_ADD:
		if (!req->path[0] || strchr(req->path, ',')) {
			bad(err, errlen, ret, "export-add needs a \"path\" "
			    "without commas");
			goto out;
		}
		/* fall through */
	case CTL_EXPORT_REMOVE:
		if (!req->vm[0] || !req->name[0]) {
			bad(err, errlen, ret, "%s needs \"vm\" and \"export\"",
			    cmd);
			goto out;
		}
		break;
	case CTL_VM_ADD:
		/* The daemon reads it, from its own directory. */
		if (req->path[0] && req->path[0] != '/') {
			bad(err, errlen, ret, "vm-add: \"path\" must be "
			    "absolute");
			goto out;
		}
		/* fall through */
	case CTL_VM_REMOVE:
		if (!req->vm[0]) {
			bad(err, errlen, ret, "%s needs \"vm\"", cmd);
			goto out;
		}
		break;
	default:
		break;
	}
	ret = 0;
out:
	json_object_put(obj);
	return ret;
}

static int flag_opts(const struct ctl_req *req, char *buf, size_t len,
		     int r)
{
	unsigned int i;
	size_t n;

	if (r < 0 || (size_t)r >= len)
		return -ENAMETOOLONG;
	n = (size_t)r;
	for (i = 0; i < req->nr_opts; i++) {
		r = snprintf(buf + n, len - n, ",%s", req->opts[i]);
		if (r < 0 || (size_t)r >= len - n)
			return -ENAMETOOLONG;
		n += (size_t)r;
	}
	return 0;
}

int ctl_export_flag(const struct ctl_req *req, char *buf, size_t len)
{
	return flag_opts(req, buf, len, snprintf(buf, len, "%s:%s=%s",
						 req->vm, req->name,
						 req->path));
}

int ctl_vm_flag(const struct ctl_req *req, char *buf, size_t len)
{
	return flag_opts(req, buf, len, snprintf(buf, len, "%s", req->vm));
}
