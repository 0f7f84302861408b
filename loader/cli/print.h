/* SPDX-License-Identifier: GPL-2.0-only */
/* How list, show, stats and monitor print: a table for people, JSON for tools. */
#ifndef VNI_PRINT_H
#define VNI_PRINT_H

#include <json-c/json.h>
#include <stdio.h>
#include <time.h>

#include "core/state.h"
#include "vni_shared.h"

/* stats may be NULL (not read). Caller puts the object. */
json_object *vni_record_json(const struct vni_record *r, const struct vni_stats *stats);

json_object *vni_stats_json(const struct vni_stats *s);
void vni_print_stats_header(FILE *f);
void vni_print_stats_row(FILE *f, const char *name, const struct vni_stats *s);

void vni_print_list_header(FILE *f);
void vni_print_list_row(FILE *f, const struct vni_record *r);
void vni_print_show(FILE *f, const struct vni_record *r, const struct vni_stats *stats);

/* One refusal reported by the BPF programs, for 'vnictl monitor': name is the
 * instance (NULL when unknown), wall the time of the event (CLOCK_REALTIME). */
json_object *vni_event_json(const struct vni_event *e, const char *name,
			    const struct timespec *wall);
void vni_print_event(FILE *f, const struct vni_event *e, const char *name,
		     const struct timespec *wall);

#endif
