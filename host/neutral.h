/* neutral.h — making names, labels and URLs that came from a spec, a
 * plugin or the command line harmless where the host writes them: a CSV
 * cell a spreadsheet would run as a formula, text a terminal would take as
 * escape sequences, a Markdown table cell that would inject markup or HTML,
 * a URL that carries a password.  Pure functions on NUL-terminated strings;
 * each returns a new string the caller frees (never NULL: allocation
 * failure exits, as cl_xmalloc does).  Host-private. */
#ifndef CONLAB_HOST_NEUTRAL_H
#define CONLAB_HOST_NEUTRAL_H

#include <stdio.h>

/** 1 when `s` is wholly a number as the host prints them: an optional sign,
 *  digits with an optional fraction and exponent (1, -1.5, +2e-3, .5), or
 *  inf, infinity, nan with an optional sign (any case); else 0. */
int cl_neutral_is_number(const char *s);

/** 1 when a spreadsheet would take the CSV cell `s` as a formula (OWASP
 *  "CSV injection"): it starts with = + - @ TAB or CR and is not a number
 *  (cl_neutral_is_number); else 0. */
int cl_neutral_csv_risky(const char *s);

/** The CSV cell `s` with a leading single quote when what follows its
 *  leading single quotes is cl_neutral_csv_risky ("=1" -> "'=1", and, so
 *  that cl_neutral_csv_unquote gives back any text exactly, "'=1" ->
 *  "''=1"), else an unchanged copy.  Only the formula rule: quoting commas,
 *  quotes and newlines stays the CSV writer's job.  Owned by the caller. */
char *cl_neutral_csv(const char *s);

/** Undo cl_neutral_csv in place: drop the first character of `s` when it is
 *  a single quote and what follows its leading single quotes is
 *  cl_neutral_csv_risky.  Returns s. */
char *cl_neutral_csv_unquote(char *s);

/** `s` safe to print on a terminal, on one line: C0 controls (ESC, CR, LF,
 *  TAB, ...) and DEL become \xNN; the C1 controls U+0080..U+009F (UTF-8
 *  C2 80..C2 9F) and the bidirectional overrides and isolates (U+202A..
 *  U+202E, U+2066..U+2069) become \uNNNN; a byte that is not part of valid
 *  UTF-8 becomes \xNN.  Everything else (printable ASCII, valid UTF-8) is
 *  copied.  Owned by the caller. */
char *cl_neutral_term(const char *s);

/** `s` as the text of one Markdown (GFM) table cell: & < > as the HTML
 *  entities &amp; &lt; &gt; (so no raw HTML gets through), | \ ` * _ ~ [ ]
 *  # ! behind a backslash, CR and LF as one space each, and then every
 *  other control as cl_neutral_term does.  Owned by the caller. */
char *cl_neutral_md(const char *s);

/** `s` with the password of every scheme://user:password@host in it
 *  replaced by *** (scheme://user:***@host), also inside a longer text
 *  such as a label "http(urls=http://u:p@h/x;...)".  The userinfo ends at
 *  the last @ before the end of the authority (/ ? # whitespace quotes < >
 *  or the end of the text); a userinfo without a colon (a user name only)
 *  and an empty password are left as they are.  Owned by the caller. */
char *cl_neutral_url(const char *s);

/** Write s (NULL: nothing) with XML/HTML special characters escaped, and
 *  controls and bytes that are not UTF-8 as the text \xNN (cl_neutral_term),
 *  so an SVG or HTML file stays well-formed. */
void cl_xml_escape(FILE *out, const char *s);

#endif
