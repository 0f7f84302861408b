/* SPDX-License-Identifier: GPL-2.0-only */
/* Error reporting shared by the loader library: every failing call fills a
 * one-line message of VNI_ERRLEN bytes and returns a negative errno. */
#ifndef VNI_UTIL_H
#define VNI_UTIL_H

#include <stddef.h>
#include <sys/types.h>

#define VNI_ERRLEN 512

/* Formats the message into err (if non-NULL) and returns ret. */
int vni_err(char *err, int ret, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Writes a whole small file (sysfs/cgroupfs style); returns 0 or -errno. */
int vni_write_file(const char *path, const char *text);

/* Reads up to len-1 bytes of a small file, NUL-terminated; returns bytes or -errno. */
int vni_read_file(const char *path, char *buf, size_t len);

/* snprintf into a buffer of size n; -ENAMETOOLONG when it did not fit. */
int vni_path(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* mkdir -p; 0 or -errno. */
int vni_mkdir_p(const char *path, mode_t mode);
/* Removes path and everything below it (no symlink followed; not limited
 * to one file system: on overlayfs files and directories differ in st_dev);
 * best effort. */
void vni_remove_tree(const char *path);
/* The same, with each regular file removed by remove (NULL: unlink). */
void vni_remove_tree_by(const char *path, void (*remove)(const char *path));

/* Replaces path atomically (temporary file in the same directory, then
 * rename) with text, mode 0644, creating the directory if needed. */
int vni_replace_file(const char *path, const char *text, char *err);

#endif
