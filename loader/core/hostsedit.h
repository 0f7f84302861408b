/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The hosts file changed by the lines of one instance, not rewritten whole:
 * an attach appends its lines, a detach comments them out. What a reader
 * (the NSS module, dnsmasq) sees at any moment is the old or the new set of
 * names, never a part of a line: an append is one write() of whole lines
 * (the file's size moves past them only once they are in), and a line is
 * taken out by writing one '#' over its first byte. Lines commented out are
 * dropped when the file is next written whole (vni_publish_hosts).
 */
#ifndef VNI_HOSTSEDIT_H
#define VNI_HOSTSEDIT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/state.h"

/* The hosts lines of r ("ADDR HOSTNAME\n" per VIP) into f; none for an
 * instance that is checkpointed or being detached. */
void vni_hosts_lines(const struct vni_record *r, FILE *f);

/* The first lines of the file written whole: a title, and how many bytes of
 * lines were commented out since (fixed width: a detach writes it over). */
void vni_hosts_header(FILE *f);

/* Appends r's lines; *at: where they start. -ENOENT (no message) when there
 * is no file yet: the caller writes it whole. */
int vni_hosts_append(const char *path, const struct vni_record *r, int64_t *at, char *err);

/* Comments out every line equal to one of r's (given as if running): those
 * at r->hosts_off when they are there (its attach appended them and the
 * file was not written whole since), else found by reading the whole file.
 * 1 when the lines commented out have come to outweigh the live ones and
 * the file should be written whole, 0 when not, -ENOENT (no message)
 * without a file, <0 on error. */
int vni_hosts_comment_out(const char *path, const struct vni_record *r, char *err);

/* Do two hosts texts name the same: their lines that are not comments or
 * empty, in any order. */
bool vni_hosts_same(const char *a, const char *b);

#endif
