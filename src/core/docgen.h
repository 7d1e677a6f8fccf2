/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * docgen.h - the parts of the docs made from the field table: between a
 * line holding "BEGIN GENERATED <kind>" and one holding "END GENERATED",
 * docgen_file() puts what fields_doc()/ipfix_doc_template() say for kind
 * (man: the FIELDS list; ipfix-256: template 256 field by field; ipfix-l2:
 * the L2 elements). "make docs" writes them; a unit test checks them.
 */
#ifndef __FLOWMON_DOCGEN_H
#define __FLOWMON_DOCGEN_H

#include <stdbool.h>
#include <stdio.h>

/* Generate one kind into out. 0, or -1 for an unknown kind. */
int docgen_kind(FILE *out, const char *kind);
/*
 * Check (write false) or rewrite (write true) the generated sections of
 * path. Returns the number of sections that were out of date, or -errno.
 */
int docgen_file(const char *path, bool write);

#endif /* __FLOWMON_DOCGEN_H */
