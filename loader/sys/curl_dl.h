/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libcurl, loaded on first use (dlopen) by the etcd client (sys/etcd.c): a
 * vnictl on a node without a farm never loads it, nor the 27 libraries it
 * brings (TLS, Kerberos, LDAP, HTTP/2...), whose loading was about 3 ms of
 * every command's start-up.
 */
#ifndef VNI_CURL_DL_H
#define VNI_CURL_DL_H

#include <curl/curl.h>

struct vni_curl {
	CURLcode (*global_init)(long flags);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *c, CURLoption opt, ...);
	CURLcode (*easy_perform)(CURL *c);
	CURLcode (*easy_getinfo)(CURL *c, CURLINFO info, ...);
	void (*easy_reset)(CURL *c);
	void (*easy_cleanup)(CURL *c);
	const char *(*easy_strerror)(CURLcode rc);
	struct curl_slist *(*slist_append)(struct curl_slist *l, const char *s);
	void (*slist_free_all)(struct curl_slist *l);
};

/* The library's functions (loaded once), or NULL with a message in err. */
const struct vni_curl *vni_curl(char *err);

#endif
