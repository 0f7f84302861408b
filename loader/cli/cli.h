/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vnictl's front end: a command is one row of a table (name, handler,
 * options, summary, needs root); one option parser serves every command,
 * and the usage text is generated from the table (bpftool's cmds[]).
 */
#ifndef VNI_CLI_H
#define VNI_CLI_H

#include <json-c/json.h>
#include <stdbool.h>

#include "core/node.h"

#define VNI_VERSION "0.1.0"

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

/* cli_opt.flags */
#define CLI_REQUIRED (1u << 0) /* the command fails without it */
#define CLI_MANY (1u << 1)     /* may be given more than once */
#define CLI_SHORT (1u << 2)    /* -n as well: the name's first letter */

struct cli_opt {
	const char *name; /* --name */
	const char *arg;  /* its value's name in the usage (NAME, ADDR); NULL: a flag */
	unsigned flags;
};

/* cli_cmd.flags */
#define CLI_ROOT (1u << 0)     /* must run as root */
#define CLI_TRAILING (1u << 1) /* takes [--] CMD [ARG...] after its options */
#define CLI_WORDS (1u << 2)    /* takes words (cli_cmd.words) among its options */

struct cli_args;

struct cli_cmd {
	const char *name;
	int (*fn)(struct vni_node *n, const struct cli_args *a);
	const struct cli_opt *opts; /* ends with { NULL } */
	const char *summary;
	unsigned flags;
	const char *words; /* CLI_WORDS: what they are, for the usage */
};

#define CLI_MAX_VALUES 512

/* What the parser found: option values in the order given, and the words
 * (after the options for CLI_TRAILING, among them for CLI_WORDS). */
struct cli_args {
	const struct cli_cmd *cmd;
	int n;
	struct {
		const char *name;
		const char *value; /* NULL for a flag */
	} v[CLI_MAX_VALUES];
	char **rest;
	int nrest;
};

/* The last value of --name (NULL if not given). */
const char *cli_str(const struct cli_args *a, const char *name);
bool cli_flag(const struct cli_args *a, const char *name);
/* The i-th value of a CLI_MANY option (NULL past the last). */
const char *cli_nth(const struct cli_args *a, const char *name, int i);

/* Parses argv (argv[0] is the command's name) into a; -1 to go on, else
 * the exit code (usage error, or --help printed). */
int cli_parse(const struct cli_cmd *c, int argc, char **argv, struct cli_args *a);

/* One line "usage: vnictl CMD OPTIONS" (without "usage: " when !prefix). */
void cli_usage(FILE *f, const struct cli_cmd *c, bool prefix);

/* "vnictl: MSG" on stderr; EXIT_FAIL. */
int cli_fail(const char *msg);

struct vni_attach_req;
/* --vip ADDR|auto[/POOL] (repeated) into req; -1 when fine, else the exit
 * status of a usage error (printed). */
int cli_parse_vips(const struct cli_args *a, struct vni_attach_req *req);
/* "vnictl: MSG (see 'vnictl help')" with fmt's %s filled (masked to one
 * line); EXIT_USAGE. */
int cli_usage_error(const char *fmt, const char *arg);
/* Prints o pretty unless the command failed (ret != 0: err is printed),
 * frees it, and gives the exit code. */
int cli_finish_json(json_object *o, int ret, const char *err);

/* The log sink of vnictl: stderr, one line each ("vnictl: warning: ..."). */
void cli_log_to_stderr(void);

struct vni_record;
struct vni_state;
/* An instance's record (for_run: only a whole one, after recovery); 0 or
 * -errno with a message. keep (for_run only; NULL: none): the state stays
 * open, the node lock held, for the caller to close. */
int cli_find_instance(struct vni_node *n, const char *name, bool for_run, struct vni_record *r,
		      struct vni_state **keep, char *err);
/* The state for a read command; *st NULL on a node with no state yet. */
int cli_open_for_read(struct vni_node *n, struct vni_state **st, char *err);

/* The commands (cmd_*.c). */
extern const struct cli_cmd cli_instance_cmds[], cli_node_cmds[], cli_image_cmds[],
	cli_unit_cmds[], cli_service_cmds[], cli_pool_cmds[], cli_farm_cmds[], cli_apply_cmds[];

#endif
