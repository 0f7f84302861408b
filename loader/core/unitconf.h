/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * An instance described by a file (/etc/vni/NAME.conf, vni.conf(5)): the
 * identity attach takes and the command run starts, for 'vnictl start' and
 * the systemd unit vni@.service. INI syntax without sections (libinih):
 * "key = value" lines, '#' or ';' comments.
 */
#ifndef VNI_UNITCONF_H
#define VNI_UNITCONF_H

#include <stdbool.h>
#include <stdint.h>
#include <wordexp.h>

#include "core/pathmap.h"
#include "core/pool.h"
#include "core/validate.h"
#include "sys/caps.h"

#define VNI_CONF_DIR "/etc/vni"

struct vni_unit_conf {
	struct vni_addr vip4, vip6; /* at least one, or a pool: */
	char pool4[VNI_POOL_NAME_MAX + 1], pool6[VNI_POOL_NAME_MAX + 1]; /* vip = auto[6][/POOL] */
	char hostname[VNI_HOSTNAME_MAX + 1]; /* "" when not given */
	uint32_t aid;                        /* 0 when not given */
	char dev[16];                        /* "" when not given: lo */
	bool allow_raw;
	uint32_t loopback; /* VNI_F_PRIVATE_LO, or 0 */
	char user[64]; /* "" when not given: root */
	bool keep_net_caps;   /* adds NET_RAW and NET_ADMIN to caps.add */
	struct vni_caps caps; /* cap-add, cap-drop (sys/caps.h) */
	bool userns;
	struct vni_map maps[VNI_MAPS_MAX]; /* map = PATH=SOURCE (core/pathmap.h) */
	unsigned nmaps;
	wordexp_t cmd; /* exec, split into words as a shell would (no expansion of $(...)) */
	bool has_cmd;
};

/* Parses the file into c; on failure a one-line error "FILE:LINE: what"
 * and nothing to free. vni_unit_conf_free after success. */
int vni_unit_conf_load(const char *path, struct vni_unit_conf *c, char *err);
/* The same for text held in memory (tests, fuzzing); name is used in errors. */
int vni_unit_conf_parse(const char *name, const char *text, struct vni_unit_conf *c, char *err);
void vni_unit_conf_free(struct vni_unit_conf *c);

#endif
