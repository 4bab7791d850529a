/* xml: a small, strict, non-validating reader for the XML that AWS STS answers
 * with (the query protocol): enough to pick the text of one element by path,
 * e.g. "AssumeRoleResponse/AssumeRoleResult/Credentials/AccessKeyId" or
 * "ErrorResponse/Error/Code".
 *
 * Every call reads the whole document and checks that it is well formed
 * before answering, in one pass, in time linear in len, with a fixed amount
 * of state (no recursion).  It never reads past doc[len - 1]; doc need not be
 * NUL-terminated.
 *
 * What is accepted (XML 1.0 + Namespaces in XML, minus DTDs):
 *   - UTF-8 only (an optional byte-order mark; an XML declaration may name
 *     "UTF-8", nothing else); every character must be an XML Char (no NUL,
 *     no C0 controls other than tab, LF and CR, no U+FFFE/U+FFFF, no
 *     surrogates, no overlong or truncated sequences);
 *   - an XML declaration only at the very start; comments, processing
 *     instructions and whitespace before and after the single root element;
 *   - element and attribute names that are QNames (NCName or
 *     prefix:NCName, with the XML 1.0 name characters); start and end tags
 *     matched exactly, at most XML_MAX_DEPTH elements deep;
 *   - attribute values in single or double quotes, no '<', names unique on
 *     each element, at most XML_MAX_ATTRS attributes per element;
 *   - the five predefined entities (&lt; &gt; &amp; &apos; &quot;) and
 *     character references (&#N; &#xH;) to XML Chars, decoded to UTF-8;
 *   - CDATA sections, comments and processing instructions inside elements.
 * What is rejected: any DOCTYPE (so no internal or external entities, no
 * entity expansion at all) and any other <!...> declaration, undefined
 * entities, "]]>" in text, "--" in comments, text or references outside the
 * root element, a second root element, and everything not listed above.
 *
 * Namespaces are not resolved: names are matched by their local part (the
 * part after the prefix), xmlns attributes are read like any other.
 * Line ends in text are normalized as XML requires (CR LF and lone CR become
 * LF; a &#13; reference stays a CR). */
#ifndef OMICS_XML_H
#define OMICS_XML_H

#include <stddef.h>

#include "buf.h"
#include "omics.h"

/* Internal: never exported, whatever the compiler's default visibility. */
#pragma GCC visibility push(hidden)

#define XML_MAX_DEPTH 64
#define XML_MAX_ATTRS 32

/* The decoded text of the first element (in document order) whose path from
 * the root is `path`: local names separated by '/', starting with the root's,
 * e.g. "ErrorResponse/Error/Message" (no prefixes, no leading slash, no empty
 * parts).  The text is the element's direct character data (text, references
 * and CDATA sections) concatenated; the text inside its child elements, if it
 * has any, is not included.  No whitespace is trimmed.
 *
 * Returns 1 with the text in out (out is reset first), 0 when the document is
 * well formed but has no such element (out is empty), or -1 with err set:
 * kind OMICS_EPARSE, code "XmlParseError" and a message with the reason and
 * its byte offset when the document is not well formed; OMICS_EUSAGE for a bad
 * path or a NULL doc with a nonzero len; OMICS_EMEMORY when out could not
 * grow.  On -1 out is left empty. */
int xml_text(const char *doc, size_t len, const char *path, buf *out, omics_error *err);

/* The local name of the root element (out is reset first).  Returns 0, or -1
 * with err set as for xml_text. */
int xml_root(const char *doc, size_t len, buf *out, omics_error *err);

#pragma GCC visibility pop

#endif
