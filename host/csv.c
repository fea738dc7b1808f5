/* csv.c — see csv.h. */
#include "csv.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "neutral.h"
#include "util.h"

int cl_csv_open(struct cl_csv_in *in, const char *path)
{
    memset(in, 0, sizeof *in);
    in->f = fopen(path, "r");
    if (!in->f)
        return -1;
    in->path = cl_xstrdup(path);
    in->own = 1;
    return 0;
}

void cl_csv_from(struct cl_csv_in *in, FILE *f, const char *name)
{
    memset(in, 0, sizeof *in);
    in->f = f;
    in->path = cl_xstrdup(name);
}

void cl_csv_close(struct cl_csv_in *in)
{
    if (in->f && in->own)
        fclose(in->f);
    free(in->path);
    memset(in, 0, sizeof *in);
}

void cl_csv_row_free(struct cl_csv_row *row)
{
    for (size_t i = 0; i < row->n; i++)
        free(row->f[i]);
    free(row->f);
    row->f = NULL;
    row->n = 0;
}

static void add_field(struct cl_csv_row *row, char *buf)
{
    if ((row->n & (row->n - 1)) == 0) /* 0, 1, 2, 4, ...: double */
        row->f = cl_xrealloc(row->f, (row->n ? 2 * row->n : 1) * sizeof *row->f);
    row->f[row->n++] = cl_xstrdup(cl_neutral_csv_unquote(buf));
}

int cl_csv_next(struct cl_csv_in *in, struct cl_csv_row *row)
{
    FILE *f = in->f;
    memset(row, 0, sizeof *row);
    row->line = in->line + 1;
    int c = getc(f);
    if (c == EOF)
        return 0;
    size_t cap = 0, len = 0;
    char *buf = NULL;
    int quoted = 0, in_quotes = 0;
    for (;; c = getc(f)) {
        if (c == EOF) {
            /* the record never got its newline: torn */
            free(buf);
            cl_csv_row_free(row);
            return -1;
        }
        if (len + 2 > cap) {
            cap = cap ? 2 * cap : 64;
            buf = cl_xrealloc(buf, cap);
        }
        if (c == '\n')
            in->line++;
        if (in_quotes) {
            if (c == '"') {
                int d = getc(f);
                if (d == '"') {
                    buf[len++] = '"';
                    continue;
                }
                in_quotes = 0;
                if (d != EOF)
                    ungetc(d, f);
                continue;
            }
            buf[len++] = (char)c;
            continue;
        }
        if (c == '"' && len == 0 && !quoted) {
            in_quotes = quoted = 1;
            continue;
        }
        if (c == ',' || c == '\n' || c == '\r') {
            if (c == '\r') {
                int d = getc(f);
                if (d != '\n' && d != EOF)
                    ungetc(d, f);
                c = '\n';
                in->line++;
            }
            buf[len] = '\0';
            add_field(row, buf);
            len = 0;
            quoted = 0;
            if (c == '\n')
                break;
            continue;
        }
        buf[len++] = (char)c;
    }
    free(buf);
    return 1;
}

long cl_csv_col(const struct cl_csv_row *hdr, const char *name)
{
    for (size_t i = 0; i < hdr->n; i++)
        if (strcmp(hdr->f[i], name) == 0)
            return (long)i;
    return -1;
}

const char *cl_csv_get(const struct cl_csv_row *r, long col)
{
    return col >= 0 && (size_t)col < r->n ? r->f[col] : "";
}

double cl_csv_num(const char *s)
{
    if (!*s)
        return NAN;
    char *end = NULL;
    double v = strtod(s, &end);
    return end && *end == '\0' ? v : NAN;
}

void cl_csv_field(FILE *f, const char *text, int first)
{
    if (!first)
        fputc(',', f);
    if (!text)
        return;
    char *masked = cl_neutral_url(text), *s = cl_neutral_csv(masked);
    free(masked);
    int quote = s[0] == ' ' || (s[0] && s[strlen(s) - 1] == ' ');
    for (const char *p = s; *p && !quote; p++)
        quote = *p == ',' || *p == '"' || *p == '\n' || *p == '\r';
    if (!quote) {
        fputs(s, f);
        free(s);
        return;
    }
    fputc('"', f);
    for (const char *p = s; *p; p++) {
        if (*p == '"')
            fputc('"', f);
        fputc(*p, f);
    }
    fputc('"', f);
    free(s);
}

void cl_csv_double(FILE *f, double v)
{
    fputc(',', f);
    if (isfinite(v))
        fprintf(f, "%.9g", v);
}

void cl_csv_u64(FILE *f, unsigned long long v)
{
    fprintf(f, ",%llu", v);
}

void cl_csv_write_row(FILE *f, const struct cl_csv_row *row)
{
    for (size_t i = 0; i < row->n; i++)
        cl_csv_field(f, row->f[i], i == 0);
    fputc('\n', f);
}
