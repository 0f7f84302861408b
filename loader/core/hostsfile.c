// SPDX-License-Identifier: GPL-2.0-only
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/hostsfile.h"
#include "sys/util.h"

#define MAX_NAMES 32

static int parse_line(char *line, int (*fn)(const struct hosts_entry *e, void *arg), void *arg)
{
	const char *names[MAX_NAMES + 1];
	struct hosts_entry e = {};
	char *tok, *save = NULL, *hash = strchr(line, '#');
	int n = 0;

	if (hash)
		*hash = '\0';
	tok = strtok_r(line, " \t\r\n", &save);
	if (!tok)
		return 0;
	if (inet_pton(AF_INET, tok, e.addr) == 1)
		e.family = AF_INET;
	else if (inet_pton(AF_INET6, tok, e.addr) == 1)
		e.family = AF_INET6;
	else
		return 0;
	while (n < MAX_NAMES && (tok = strtok_r(NULL, " \t\r\n", &save)))
		names[n++] = tok;
	if (!n)
		return 0;
	names[n] = NULL;
	e.name = names[0];
	e.aliases = names + 1;
	return fn(&e, arg);
}

int hosts_each(FILE *f, int (*fn)(const struct hosts_entry *e, void *arg), void *arg)
{
	char line[1024];
	int ret;

	while (fgets(line, sizeof(line), f)) {
		size_t len = strlen(line);

		/* an over-long line is skipped whole */
		if (len == sizeof(line) - 1 && line[len - 1] != '\n') {
			int c;

			while ((c = fgetc(f)) != EOF && c != '\n')
				;
			continue;
		}
		ret = parse_line(line, fn, arg);
		if (ret)
			return ret;
	}
	return 0;
}
