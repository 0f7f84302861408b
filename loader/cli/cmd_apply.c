// SPDX-License-Identifier: GPL-2.0-only
/* vnictl apply -f FILE|- [--dry-run] [--force]: the node's instances made
 * what the file (JSON, as 'vnictl list --json' prints) says. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/apply.h"
#include "sys/util.h"

/* The whole input ("-": stdin); NULL and err on failure. */
static char *read_input(const char *path, size_t *len, char *err)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "re") : stdin;
	size_t cap = 1 << 16, n = 0, got;
	char *buf = NULL, *more;

	if (!f) {
		vni_err(err, -errno, "cannot read %s: %s", path, strerror(errno));
		return NULL;
	}
	do {
		if (!(more = realloc(buf, cap + 1))) {
			vni_err(err, -ENOMEM, "out of memory");
			free(buf);
			buf = NULL;
			break;
		}
		buf = more;
		got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (n == cap)
			cap *= 2;
	} while (got);
	if (buf && ferror(f)) {
		vni_err(err, -EIO, "cannot read %s: %s", path, strerror(errno));
		free(buf);
		buf = NULL;
	}
	if (f != stdin)
		fclose(f);
	if (buf)
		buf[n] = '\0';
	*len = n;
	return buf;
}

static const char *const verbs[] = {
	[VNI_APPLY_ATTACH] = "attach", [VNI_APPLY_DETACH] = "detach",
	[VNI_APPLY_REPLACE] = "replace", [VNI_APPLY_MAPS] = "rewrite the maps of",
};

static void on_change(enum vni_apply_op op, const char *name, const char *detail, void *arg)
{
	const bool *dry = arg;

	if (*dry)
		printf("would %s %s%s%s\n", verbs[op], name, detail[0] ? ": " : "", detail);
}

/* One line on a terminal, rewritten at most every 0.1 s, gone at the end. */
static struct timespec last;
static bool progress_shown;

static void on_progress(const char *phase, size_t done, size_t total, void *arg)
{
	struct timespec now;

	(void)arg;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (progress_shown && done != total &&
	    (now.tv_sec - last.tv_sec) * 1000000000L + (now.tv_nsec - last.tv_nsec) < 100000000L)
		return;
	last = now;
	progress_shown = true;
	fprintf(stderr, "\rvnictl: apply: %s %zu/%zu\033[K", phase, done, total);
	fflush(stderr);
}

static int cmd_apply(struct vni_node *n, const struct cli_args *a)
{
	const char *path = cli_str(a, "file");
	bool dry = cli_flag(a, "dry-run");
	struct vni_apply_opts o = { .dry_run = dry, .force = cli_flag(a, "force"),
				    .change = on_change, .arg = &dry };
	struct vni_apply_result res;
	struct vni_apply_spec spec;
	char err[VNI_ERRLEN];
	size_t len;
	char *text;
	int ret;

	if (!(text = read_input(path, &len, err)))
		return cli_fail(err);
	ret = vni_apply_spec_parse(text, len, &spec, err);
	free(text);
	if (ret) {
		fprintf(stderr, "vnictl: %s: %s\n", strcmp(path, "-") ? path : "stdin", err);
		return EXIT_USAGE;
	}
	if (isatty(STDERR_FILENO))
		o.progress = on_progress;
	ret = vni_apply(n, &spec, &o, &res, err);
	vni_apply_spec_free(&spec);
	if (progress_shown)
		fputs("\r\033[K", stderr);
	if (ret)
		return cli_fail(err);
	printf("%s%zu attached, %zu detached, %zu replaced, %zu with new maps, %zu unchanged\n",
	       dry ? "dry run, would be: " : "applied: ", res.attached, res.detached,
	       res.replaced, res.maps, res.unchanged);
	return EXIT_OK;
}

static const struct cli_opt apply_opts[] = {
	{ "file", "FILE", CLI_REQUIRED | CLI_SHORT },
	{ "dry-run", NULL, 0 },
	{ "force", NULL, 0 },
	{ NULL, NULL, 0 },
};

const struct cli_cmd cli_apply_cmds[] = {
	{ "apply", cmd_apply, apply_opts,
	  "make the node's instances what FILE says (JSON as 'list --json' prints; '-': stdin): attach the missing, detach the unlisted",
	  CLI_ROOT, NULL },
	{ NULL, NULL, NULL, NULL, 0, NULL },
};
