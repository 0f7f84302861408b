// SPDX-License-Identifier: GPL-2.0-only
/* vnictl: global options, the command tables, help. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/ckpthook.h"
#include "sys/util.h"

/* Every command, in the order help lists them. */
static const struct cli_cmd *const groups[] = { cli_node_cmds, cli_instance_cmds, cli_apply_cmds,
						cli_image_cmds, cli_unit_cmds, cli_service_cmds,
						cli_pool_cmds, cli_farm_cmds };

#define NGROUPS (sizeof(groups) / sizeof(groups[0]))
#define SUMMARY_COL 30

static const struct cli_cmd *find_cmd(const char *name)
{
	const struct cli_cmd *c;
	size_t g;

	for (g = 0; g < NGROUPS; g++)
		for (c = groups[g]; c->name; c++)
			if (!strcmp(c->name, name))
				return c;
	return NULL;
}

/* The summary after the usage (or on its own lines), wrapped at 80. */
static void print_summary(const char *s, size_t col)
{
	size_t width = 80 - SUMMARY_COL, len;

	if (col >= SUMMARY_COL)
		printf("\n%*s", SUMMARY_COL, "");
	else
		printf("%*s", (int)(SUMMARY_COL - col), "");
	while (*s) {
		len = strlen(s);
		if (len > width) {
			for (len = width; len > 0 && s[len] != ' '; len--)
				;
			if (!len)
				len = width;
		}
		printf("%.*s", (int)len, s);
		s += len;
		while (*s == ' ')
			s++;
		if (*s)
			printf("\n%*s", SUMMARY_COL, "");
	}
	putchar('\n');
}

static void help(void)
{
	const struct cli_cmd *c;
	char *line;
	size_t g, len;
	FILE *f;

	printf("usage: vnictl [GLOBAL OPTIONS] COMMAND [OPTIONS]\n\ncommands:\n");
	for (g = 0; g < NGROUPS; g++)
		for (c = groups[g]; c->name; c++) {
			line = NULL;
			f = open_memstream(&line, &len);
			if (!f)
				continue;
			cli_usage(f, c, false);
			fclose(f);
			/* "vnictl " dropped: the list is of commands */
			printf("  %s", line + strlen("vnictl "));
			print_summary(c->summary, 2 + len - strlen("vnictl "));
			free(line);
		}
	printf("  help [COMMAND]");
	print_summary("this text, or one command's usage", 16);
	printf("\nglobal options (environment variable):\n"
	       "  --cgroup-root DIR  (VNI_CGROUP_ROOT)  default <cgroup2 mount>/vni\n"
	       "  --bpffs DIR        (VNI_BPFFS)        default " VNI_DEFAULT_BPFFS "\n"
	       "  --state-dir DIR    (VNI_STATE_DIR)    default " VNI_DEFAULT_STATE_DIR "\n"
	       "  --hosts-file FILE  (VNI_HOSTS_FILE)   default " VNI_DEFAULT_HOSTS_FILE "\n"
	       "  --registry URL     (VNI_REGISTRY)     local (default) or etcd://HOST:PORT[,HOST:PORT...][/PREFIX]\n"
	       "  --node NAME        (VNI_NODE)         this node in the farm; default the hostname\n"
	       "  --version\n");
}

static int set_path(char *field, size_t n, const char *value, const char *what)
{
	if (strlen(value) >= n)
		return cli_usage_error("%s: too long", what);
	strcpy(field, value);
	return 0;
}

/* Environment first, then options: options win. Returns the index of the
 * command, 0 when done (--version, --help), or minus the exit code. */
static int parse_globals(struct vni_node *n, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "cgroup-root", required_argument, NULL, 0 },
		{ "bpffs", required_argument, NULL, 1 },
		{ "state-dir", required_argument, NULL, 2 },
		{ "hosts-file", required_argument, NULL, 3 },
		{ "registry", required_argument, NULL, 4 },
		{ "node", required_argument, NULL, 5 },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	static const char *const envs[] = { "VNI_CGROUP_ROOT", "VNI_BPFFS", "VNI_STATE_DIR",
					    "VNI_HOSTS_FILE", "VNI_REGISTRY", "VNI_NODE" };
	char *fields[] = { n->cgroup_root, n->bpffs, n->state_dir, n->hosts_file, n->registry,
			   n->node_name };
	const size_t sizes[] = { PATH_MAX, PATH_MAX, PATH_MAX, PATH_MAX, sizeof(n->registry),
				 sizeof(n->node_name) };
	size_t i;
	int c;

	for (i = 0; i < 6; i++) {
		const char *v = getenv(envs[i]);

		if (v && *v && set_path(fields[i], sizes[i], v, envs[i]))
			return -EXIT_USAGE;
	}
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		if (c >= 0 && c < 6) {
			char what[32];

			snprintf(what, sizeof(what), "--%s", opts[c].name);
			if (set_path(fields[c], sizes[c], optarg, what))
				return -EXIT_USAGE;
		} else if (c == 'V') {
			printf("vnictl %s\n", VNI_VERSION);
			return 0;
		} else if (c == 'h') {
			help();
			return 0;
		} else {
			char opt[3] = { '-', (char)optopt, '\0' };

			return -cli_usage_error("unknown or incomplete option '%s'",
						optopt ? opt : argv[optind - 1]);
		}
	}
	return optind;
}

static int help_command(int argc, char **argv)
{
	const struct cli_cmd *c;

	if (argc < 2) {
		help();
		return EXIT_OK;
	}
	c = find_cmd(argv[1]);
	if (!c)
		return cli_usage_error("unknown command '%s'", argv[1]);
	cli_usage(stdout, c, true);
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	const struct cli_cmd *c;
	struct vni_node node = {};
	struct cli_args args;
	char err[VNI_ERRLEN];
	int first, ret;

	/* run by CRIU as its action script (vnictl checkpoint --template, clone) */
	if (vni_hook_wanted())
		return vni_hook_run();
	cli_log_to_stderr();
	first = parse_globals(&node, argc, argv);
	if (first <= 0)
		return -first;
	if (first >= argc)
		return cli_usage_error("%s", "no command given");
	if (!strcmp(argv[first], "help"))
		return help_command(argc - first, argv + first);
	c = find_cmd(argv[first]);
	if (!c)
		return cli_usage_error("unknown command '%s'", argv[first]);
	/* options first: --help and usage errors need no privilege */
	ret = cli_parse(c, argc - first, argv + first, &args);
	if (ret >= 0)
		return ret;
	if ((c->flags & CLI_ROOT) && geteuid() != 0)
		return cli_fail("must be run as root (needs CAP_BPF, CAP_NET_ADMIN and CAP_SYS_ADMIN)");
	if (vni_node_resolve(&node, err))
		return cli_fail(err);
	return c->fn(&node, &args);
}
