// SPDX-License-Identifier: GPL-2.0-only
/*
 * Attach cost at scale: attaches N instances through the loader library (the
 * work 'vnictl attach' does, without process start-up) and prints the time
 * per attach and the kernel memory it took. Node paths, the registry and the
 * node's name come from the VNI_* environment variables, as for vnictl.
 *   attach_bench [-p] [-d] N [FIRST]   instances bench-FIRST.. with VIPs 10.200.x.y
 * Output: one line, KEY=VALUE pairs; with -d, the N are then detached, each
 * timed the same way (detach_p50_us, detach_p99_us), and the node is left as
 * it was. With -p, also one line per phase of the attaches, the
 * mean time per attach from the step before to this one; the steps are the
 * crash points (VNI_DEBUG_CRASH_AFTER=trace), so "attach: identity claimed"
 * covers opening the state, recovery, checks and the claim, and "close"
 * what follows the last step.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/instance.h"
#include "core/ops.h"
#include "core/state.h"
#include "sys/log.h"
#include "sys/util.h"
#include "bench_util.h"

static double now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

/* -p: time per phase, summed over the attaches (steps of one name, like the
 * program links, add up into one phase) */
#define MAX_PHASES 32
static struct {
	char name[64];
	double us;
} phases[MAX_PHASES];
static int nphases;
static double mark;

static void add_phase(const char *name)
{
	double t = now_us();
	int i;

	for (i = 0; i < nphases && strcmp(phases[i].name, name); i++)
		;
	if (i == nphases && nphases < MAX_PHASES)
		snprintf(phases[nphases++].name, sizeof(phases[0].name), "%s", name);
	if (i < nphases)
		phases[i].us += t - mark;
	mark = t;
}

/* the trace mode's "step N: NAME" lines */
static void on_log(enum vni_log_level level, const char *msg)
{
	const char *step = strstr(msg, ": ");

	if (level == VNI_LOG_DEBUG && !strncmp(msg, "step ", 5) && step)
		add_phase(step + 2);
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* -d: detaches bench-FIRST.. (n of them), one at a time, timed into t. */
static int detach_all(const struct vni_node *node, int n, int first, double *t, char *err)
{
	char name[32];
	int i;

	for (i = 0; i < n; i++) {
		double t0 = now_us();

		snprintf(name, sizeof(name), "bench-%d", first + i);
		if (vni_detach(node, name, false, err)) {
			fprintf(stderr, "attach_bench: detach %s: %s\n", name, err);
			return 1;
		}
		t[i] = now_us() - t0;
	}
	qsort(t, (size_t)n, sizeof(*t), cmp);
	return 0;
}

int main(int argc, char **argv)
{
	bool by_phase = argc > 1 && !strcmp(argv[1], "-p"), detach;
	int n, first, i;
	struct vni_node node = {};
	char err[VNI_ERRLEN], name[32], vip[32];
	double *t, total = 0;
	long before, after;

	if (by_phase)
		argc--, argv++;
	detach = argc > 1 && !strcmp(argv[1], "-d");
	if (detach)
		argc--, argv++;
	n = argc > 1 ? atoi(argv[1]) : 0;
	first = argc > 2 ? atoi(argv[2]) : 1;
	if (n <= 0 || first <= 0 || first + n > 60000) {
		fprintf(stderr, "usage: attach_bench [-p] [-d] N [FIRST] (FIRST+N <= 60000)\n");
		return 2;
	}
	node_from_env(&node);
	if (vni_node_resolve(&node, err) || vni_init(&node, err)) {
		fprintf(stderr, "attach_bench: %s\n", err);
		return 1;
	}
	if (by_phase) { /* after init: its steps are not an attach's */
		setenv("VNI_DEBUG_CRASH_AFTER", "trace", 1);
		vni_set_log(on_log);
	}
	/* as a process attaching many (apply, a daemon) does: one connection */
	vni_state_keep_open(true);
	t = calloc((size_t)n, sizeof(*t));
	before = kernel_kb();
	for (i = 0; i < n; i++) {
		struct vni_attach_req req = { .name = name };
		int k = first + i;
		double t0;

		snprintf(name, sizeof(name), "bench-%d", k);
		snprintf(vip, sizeof(vip), "10.200.%d.%d", k / 250, k % 250 + 1);
		if (vni_parse_vip(vip, &req.vip4, err))
			return 1;
		mark = t0 = now_us();
		if (vni_attach(&node, &req, NULL, err)) {
			fprintf(stderr, "attach_bench: %s: %s\n", name, err);
			return 1;
		}
		t[i] = now_us() - t0;
		if (by_phase)
			add_phase("close");
		total += t[i];
	}
	after = kernel_kb();
	qsort(t, (size_t)n, sizeof(*t), cmp);
	printf("n=%d mean_us=%.0f p50_us=%.0f p99_us=%.0f kernel_kb=%ld kb_per_instance=%.1f", n,
	       total / n, t[n / 2], t[(int)(n * 0.99)], after - before,
	       (double)(after - before) / n);
	if (detach) {
		vni_set_log(NULL);
		if (detach_all(&node, n, first, t, err))
			return 1;
		printf(" detach_p50_us=%.0f detach_p99_us=%.0f", t[n / 2], t[(int)(n * 0.99)]);
	}
	printf("\n");
	for (i = 0; by_phase && i < nphases; i++)
		printf("phase %-40s %8.0f us\n", phases[i].name, phases[i].us / n);
	free(t);
	return 0;
}
