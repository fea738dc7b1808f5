/* neutral.c — see neutral.h.
 *
 * Every function writes into one buffer sized for the worst case (no byte
 * of input grows into more than 6 bytes of output), so none can overflow
 * and none needs to grow. */
#include "neutral.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

static char *worst_case(const char *s)
{
    return cl_xmalloc(strlen(s) * 6 + 1);
}

int cl_neutral_is_number(const char *s)
{
    const char *p = s;
    if (*p == '+' || *p == '-')
        p++;
    if (strcasecmp(p, "inf") == 0 || strcasecmp(p, "infinity") == 0 ||
        strcasecmp(p, "nan") == 0)
        return 1;
    size_t digits = 0;
    while (isdigit((unsigned char)*p))
        p++, digits++;
    if (*p == '.')
        for (p++; isdigit((unsigned char)*p); p++)
            digits++;
    if (digits == 0)
        return 0;
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (!isdigit((unsigned char)*p))
            return 0;
        while (isdigit((unsigned char)*p))
            p++;
    }
    return *p == '\0';
}

int cl_neutral_csv_risky(const char *s)
{
    return s[0] && strchr("=+-@\t\r", s[0]) && !cl_neutral_is_number(s);
}

/* Whether s, after its leading single quotes, would run as a formula. */
static int quoted_risky(const char *s)
{
    return cl_neutral_csv_risky(s + strspn(s, "'"));
}

char *cl_neutral_csv(const char *s)
{
    return quoted_risky(s) ? cl_xasprintf("'%s", s) : cl_xstrdup(s);
}

char *cl_neutral_csv_unquote(char *s)
{
    if (s[0] == '\'' && quoted_risky(s))
        memmove(s, s + 1, strlen(s));
    return s;
}

/* The length of the valid UTF-8 sequence at p (2..4), or 0 when p does not
 * start one (a lone continuation byte, an overlong form, a surrogate, a
 * code point past U+10FFFF, a truncated sequence).  *cp gets the code
 * point. */
static size_t utf8_seq(const unsigned char *p, unsigned *cp)
{
    size_t n;
    unsigned c, min;
    if (p[0] >= 0xc2 && p[0] <= 0xdf)
        n = 2, c = p[0] & 0x1fu, min = 0x80;
    else if (p[0] >= 0xe0 && p[0] <= 0xef)
        n = 3, c = p[0] & 0x0fu, min = 0x800;
    else if (p[0] >= 0xf0 && p[0] <= 0xf4)
        n = 4, c = p[0] & 0x07u, min = 0x10000;
    else
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0; /* also stops at the terminating NUL */
        c = c << 6 | (p[i] & 0x3fu);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return 0;
    *cp = c;
    return n;
}

/* Append the terminal-safe form of the character at *pp to o, advance *pp;
 * returns the new end of o. */
static char *term_char(char *o, const char **pp)
{
    const unsigned char *p = (const unsigned char *)*pp;
    unsigned cp;
    size_t n;
    if (*p < 0x20 || *p == 0x7f) {
        o += sprintf(o, "\\x%02x", *p);
        n = 1;
    } else if (*p < 0x80) {
        *o++ = (char)*p;
        n = 1;
    } else if ((n = utf8_seq(p, &cp)) == 0) {
        o += sprintf(o, "\\x%02x", *p);
        n = 1;
    } else if (cp <= 0x9f || (cp >= 0x202a && cp <= 0x202e) ||
               (cp >= 0x2066 && cp <= 0x2069)) {
        o += sprintf(o, "\\u%04x", cp);
    } else {
        memcpy(o, p, n);
        o += n;
    }
    *pp += n;
    return o;
}

char *cl_neutral_term(const char *s)
{
    char *out = worst_case(s), *o = out;
    while (*s)
        o = term_char(o, &s);
    *o = '\0';
    return out;
}

char *cl_neutral_md(const char *s)
{
    char *out = worst_case(s), *o = out;
    while (*s) {
        const char *ent = *s == '&' ? "&amp;" : *s == '<' ? "&lt;" : *s == '>' ? "&gt;" : NULL;
        if (ent) {
            o = stpcpy(o, ent);
            s++;
        } else if (*s == '\r' || *s == '\n') {
            *o++ = ' ';
            s++;
        } else if (strchr("|\\`*_~[]#!", *s)) {
            *o++ = '\\';
            *o++ = *s++;
        } else {
            o = term_char(o, &s);
        }
    }
    *o = '\0';
    return out;
}

static int scheme_char(char c)
{
    return isalnum((unsigned char)c) || c == '+' || c == '-' || c == '.';
}

static int authority_end(char c)
{
    return c == '\0' || c == '/' || c == '?' || c == '#' || c == '"' ||
           c == '\'' || c == '<' || c == '>' || c == '`' ||
           isspace((unsigned char)c) || iscntrl((unsigned char)c);
}

char *cl_neutral_url(const char *s)
{
    char *out = worst_case(s), *o = out;
    const char *p = s;
    for (const char *sep; (sep = strstr(p, "://")) != NULL;) {
        /* a scheme: letters, digits, + - . after a letter, right before :// */
        const char *b = sep;
        while (b > p && scheme_char(b[-1]))
            b--;
        while (b < sep && !isalpha((unsigned char)*b))
            b++;
        const char *auth = sep + 3, *end = auth, *at = NULL;
        for (; !authority_end(*end); end++)
            if (*end == '@')
                at = end;
        const char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
        if (b == sep || !colon || colon + 1 == at) {
            /* no scheme, or nothing to hide: copy through the :// */
            memcpy(o, p, (size_t)(auth - p));
            o += auth - p;
            p = auth;
            continue;
        }
        memcpy(o, p, (size_t)(colon + 1 - p));
        o += colon + 1 - p;
        o = stpcpy(o, "***");
        p = at; /* the @host... is copied with what follows */
    }
    strcpy(o, p);
    return out;
}

void cl_xml_escape(FILE *out, const char *text)
{
    if (!text)
        return;
    /* controls and bytes that are not UTF-8 make an XML file unreadable:
     * shown as \xNN, as on a terminal */
    char *clean = cl_neutral_term(text);
    for (const char *s = clean; *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '&': fputs("&amp;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&#39;", out); break;
        default: fputc(*s, out);
        }
    }
    free(clean);
}
