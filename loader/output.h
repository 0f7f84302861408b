/* SPDX-License-Identifier: GPL-2.0-only */
/* How list and show print an instance: a table for people, JSON for tools. */
#ifndef VNI_OUTPUT_H
#define VNI_OUTPUT_H

#include <json-c/json.h>
#include <stdio.h>

#include "state.h"
#include "vni_shared.h"

/* stats may be NULL (not read). Caller puts the object. */
json_object *vni_record_json(const struct vni_record *r, const struct vni_stats *stats);

json_object *vni_stats_json(const struct vni_stats *s);
void vni_print_stats_header(FILE *f);
void vni_print_stats_row(FILE *f, const char *name, const struct vni_stats *s);

void vni_print_list_header(FILE *f);
void vni_print_list_row(FILE *f, const struct vni_record *r);
void vni_print_show(FILE *f, const struct vni_record *r, const struct vni_stats *stats);

#endif
