/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The VNI metadata written beside CRIU's images (DIR/vni.json), format
 * "vni-checkpoint" version 1 (docs/checkpoint.md):
 *   format, version, name, aid, vip4, vip6 (null when absent), hostname,
 *   allow_raw, loopback ("shared" or "private"; optional), dev, maps ([{path,
 *   source}] of vnictl run --map; optional), node (nodename it was dumped on), created (unix time),
 *   tcp_established, dump_ms, needs (a template's kernel features; optional),
 *   template (true: vnictl checkpoint --template, the
 *   VIPs and hostname are virtual ids, each map's copy is in DIR/maps/N;
 *   optional, false)
 */
#ifndef VNI_CKPTMETA_H
#define VNI_CKPTMETA_H

#include <stdbool.h>
#include <stdint.h>

#include "core/state.h"

#define VNI_CKPT_FORMAT "vni-checkpoint"
#define VNI_CKPT_VERSION 1
#define VNI_CKPT_FILE "vni.json"
#define VNI_CKPT_FILE_MAX 65536 /* what is read of it, with a NUL */

#define VNI_CKPT_NEEDS_MAX 8
#define VNI_CKPT_NEED_LEN 32

struct vni_ckpt_meta {
	struct vni_record rec; /* name, aid, vips, hostname, flags, dev, maps */
	char node[65];
	int64_t created;
	bool tcp_established;
	int64_t dump_ms;
	bool template;
	/* a template: the kernel features (CRIU's names, 'criu check --feature')
	 * its images need, checked on the node of each clone */
	char needs[VNI_CKPT_NEEDS_MAX][VNI_CKPT_NEED_LEN];
	unsigned nneeds;
};

/* Serialises to a JSON text the caller frees. */
char *vni_ckpt_meta_format(const struct vni_ckpt_meta *m);

/* Parses and validates a JSON text; every field is checked. */
int vni_ckpt_meta_parse(const char *text, struct vni_ckpt_meta *m, char *err);

/* DIR/vni.json: read (with its own errors), write atomically. */
int vni_ckpt_meta_read(const char *dir, struct vni_ckpt_meta *m, char *err);
int vni_ckpt_meta_write(const char *dir, const struct vni_ckpt_meta *m, char *err);

#endif
