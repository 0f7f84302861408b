// SPDX-License-Identifier: GPL-2.0-only
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "sys/log.h"
#include "sys/util.h"

int cli_fail(const char *msg)
{
	fprintf(stderr, "vnictl: %s\n", msg);
	return EXIT_FAIL;
}

int cli_usage_error(const char *fmt, const char *arg)
{
	char msg[VNI_ERRLEN];

	vni_err(msg, 0, fmt, arg); /* one line, control characters masked */
	fprintf(stderr, "vnictl: %s (see 'vnictl help')\n", msg);
	return EXIT_USAGE;
}

int cli_finish_json(json_object *o, int ret, const char *err)
{
	if (!ret)
		printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));
	json_object_put(o);
	return ret ? cli_fail(err) : EXIT_OK;
}

static void log_line(enum vni_log_level level, const char *msg)
{
	static const char *const prefix[] = {
		[VNI_LOG_DEBUG] = "debug: ", [VNI_LOG_INFO] = "", [VNI_LOG_WARN] = "warning: "
	};

	fprintf(stderr, "vnictl: %s%s\n", prefix[level], msg);
}

void cli_log_to_stderr(void)
{
	vni_set_log(log_line);
}

const char *cli_nth(const struct cli_args *a, const char *name, int i)
{
	int k;

	for (k = 0; k < a->n; k++)
		if (!strcmp(a->v[k].name, name) && i-- == 0)
			return a->v[k].value;
	return NULL;
}

const char *cli_str(const struct cli_args *a, const char *name)
{
	const char *v = NULL;
	int k;

	for (k = 0; k < a->n; k++)
		if (!strcmp(a->v[k].name, name))
			v = a->v[k].value;
	return v;
}

bool cli_flag(const struct cli_args *a, const char *name)
{
	int k;

	for (k = 0; k < a->n; k++)
		if (!strcmp(a->v[k].name, name))
			return true;
	return false;
}

void cli_usage(FILE *f, const struct cli_cmd *c, bool prefix)
{
	const struct cli_opt *o;

	fprintf(f, "%svnictl %s", prefix ? "usage: " : "", c->name);
	if (c->flags & CLI_WORDS)
		fprintf(f, " %s", c->words);
	for (o = c->opts; o->name; o++) {
		bool req = o->flags & CLI_REQUIRED;

		if (o->flags & CLI_SHORT)
			fprintf(f, " %s-%c|--%s%s%s%s%s", req ? "" : "[", o->name[0], o->name,
				o->arg ? " " : "", o->arg ? o->arg : "", req ? "" : "]",
				o->flags & CLI_MANY ? "..." : "");
		else
			fprintf(f, " %s--%s%s%s%s%s", req ? "" : "[", o->name, o->arg ? " " : "",
				o->arg ? o->arg : "", req ? "" : "]", o->flags & CLI_MANY ? "..." : "");
	}
	if (c->flags & CLI_TRAILING)
		fputs(" [--] CMD [ARG...]", f);
	if (prefix)
		fputc('\n', f);
}

static int bad_option(char **argv)
{
	char opt[3] = { '-', (char)optopt, '\0' };

	return cli_usage_error("unknown or incomplete option '%s'",
			       optopt ? opt : argv[optind - 1]);
}

/* "attach needs --cgroup NAME and --vip ADDR": every required option missing. */
static int missing_required(const struct cli_cmd *c, const struct cli_args *a)
{
	char msg[VNI_ERRLEN];
	const struct cli_opt *o;
	size_t len;
	int n = 0;

	len = (size_t)snprintf(msg, sizeof(msg), "%s needs", c->name);
	for (o = c->opts; o->name && len < sizeof(msg); o++)
		if ((o->flags & CLI_REQUIRED) && !cli_flag(a, o->name))
			len += (size_t)snprintf(msg + len, sizeof(msg) - len, "%s --%s %s",
						n++ ? " and" : "", o->name, o->arg);
	return n ? cli_usage_error("%s", msg) : -1;
}

int cli_parse(const struct cli_cmd *c, int argc, char **argv, struct cli_args *a)
{
	struct option opts[32];
	char shorts[2 + 2 * 32] = "";
	size_t n = 0, ns;
	int ch;

	memset(a, 0, sizeof(*a));
	a->cmd = c;
	for (; c->opts[n].name && n < sizeof(opts) / sizeof(opts[0]) - 2; n++)
		opts[n] = (struct option){ c->opts[n].name,
					   c->opts[n].arg ? required_argument : no_argument, NULL,
					   (int)n };
	/* "+": a command line (run) ends the options at its first word */
	ns = c->flags & CLI_TRAILING ? 1 : 0;
	if (ns)
		shorts[0] = '+';
	for (size_t k = 0; k < n; k++)
		if (c->opts[k].flags & CLI_SHORT) {
			shorts[ns++] = c->opts[k].name[0];
			if (c->opts[k].arg)
				shorts[ns++] = ':';
		}
	shorts[ns] = '\0';
	opts[n] = (struct option){ "help", no_argument, NULL, 'h' };
	opts[n + 1] = (struct option){ 0 };
	optind = 0; /* 0: glibc starts afresh (the ordering of an earlier "+" scan) */
	opterr = 0;
	while ((ch = getopt_long(argc, argv, shorts, opts, NULL)) != -1) {
		for (size_t k = 0; ch > (int)n && k < n; k++)
			if ((c->opts[k].flags & CLI_SHORT) && c->opts[k].name[0] == ch)
				ch = (int)k; /* -f: the row of --file */
		if (ch == 'h') {
			cli_usage(stdout, c, true);
			return EXIT_OK;
		}
		if (ch < 0 || ch >= (int)n)
			return bad_option(argv);
		if (a->n == CLI_MAX_VALUES)
			return cli_usage_error("too many options (more than %s)", "512");
		a->v[a->n].name = opts[ch].name;
		a->v[a->n++].value = c->opts[ch].arg ? optarg : NULL;
	}
	if (c->flags & (CLI_TRAILING | CLI_WORDS)) {
		a->rest = argv + optind;
		a->nrest = argc - optind;
	} else if (optind < argc) {
		return cli_usage_error("unexpected argument '%s'", argv[optind]);
	}
	return missing_required(c, a);
}
