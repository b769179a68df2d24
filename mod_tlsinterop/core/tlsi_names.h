/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * tlsi_names: X.509 names read from PEM files and printed for logs.
 *
 * Pure core: needs OpenSSL and APR only.
 */
#ifndef TLSI_NAMES_H
#define TLSI_NAMES_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <openssl/x509.h>

/*
 * Read the subject of every certificate in the PEM file at path, in file
 * order, into *subjects (an array of X509_NAME *, freed with p).  Returns
 * NULL on success, else a message saying what is wrong with the file: it
 * is missing, unreadable, not a regular file, holds no certificate, or
 * holds a malformed one.
 */
const char *tlsi_pem_subjects(apr_pool_t *p, const char *path,
                              apr_array_header_t **subjects);

/*
 * A pem_password_cb that refuses: an encrypted PEM block in a file we read
 * must fail, not make OpenSSL ask for a pass phrase on the console while
 * httpd starts.
 */
int tlsi_no_pass_phrase(char *buf, int size, int rwflag, void *u);

/*
 * A name as RFC 2253 text (its flags escape control and non-ASCII bytes:
 * safe to print) into buf, cut to len - 1 bytes.  Returns the whole
 * text's length, 0 when the name prints as nothing or cannot be printed.
 */
apr_size_t tlsi_name_format(const X509_NAME *name, char *buf, apr_size_t len);

/* The same, whole, from p: for log lines. */
const char *tlsi_name_text(apr_pool_t *p, const X509_NAME *name);

/*
 * A list's names sorted for lookup: which index of the list holds a given
 * name.  It borrows the list's names, so it lives no longer than they do.
 * Lookups allocate nothing, so they can run on a handshake.
 */
typedef struct tlsi_namemap tlsi_namemap_t;

tlsi_namemap_t *tlsi_namemap_make(apr_pool_t *p,
                                  const STACK_OF(X509_NAME) *list);

/* The first index of the list that holds name, or -1. */
int tlsi_namemap_find(const tlsi_namemap_t *map, const X509_NAME *name);

/*
 * The indices in the list of the subjects (an array of X509_NAME *), in
 * subjects' order, each index once: a subject equal to several entries
 * takes a further one each time it repeats.  Subjects that are in no entry
 * are pushed onto *unmatched when it is not NULL.  Returns an array of int.
 */
apr_array_header_t *tlsi_namemap_match(apr_pool_t *p,
                                       const tlsi_namemap_t *map,
                                       const apr_array_header_t *subjects,
                                       apr_array_header_t *unmatched);

#endif /* TLSI_NAMES_H */
