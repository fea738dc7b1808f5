/* shards.c — see shards.h. */
#include "shards.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "csv.h"
#include "rundir.h"
#include "util.h"

/* Rows of summary.csv whose cell finished (as --resume counts them); the
 * first problem of the file (FILE:LINE: cell 'NAME': why) in s->problem:
 * such a shard is not done. */
static size_t count_done(struct cl_shard *s)
{
    struct cl_rows_in ri;
    char why[512];
    size_t n = 0;
    if (cl_rows_open(&ri, s->dir, "summary.csv", why, sizeof why) != 0) {
        if (errno != ENOENT)
            snprintf(s->problem, sizeof s->problem, "%s", why);
        cl_rows_close(&ri);
        return 0;
    }
    if (ri.cols.status < 0)
        snprintf(s->problem, sizeof s->problem, "%s:1: no 'status' column", ri.file);
    struct cl_csv_row row;
    struct cl_rep_row rep;
    int rc;
    while (!s->problem[0] && (rc = cl_rows_next(&ri, &row, &rep, why, sizeof why)) != 0) {
        if (rc < 0 || rc == 2) /* summary.csv is renamed into place: never torn */
            snprintf(s->problem, sizeof s->problem, "%s", why);
        else if (row.n != ri.hdr.n)
            snprintf(s->problem, sizeof s->problem, "%s:%zu: %zu fields, the "
                     "header has %zu", ri.file, row.line, row.n, ri.hdr.n);
        else if (rep.status != CL_ST_INTERRUPTED)
            n++;
        if (rc > 0)
            cl_csv_row_free(&row);
    }
    if (!s->problem[0] && s->cells && n > s->cells)
        snprintf(s->problem, sizeof s->problem, "%s: %zu cells finished, run.yaml "
                 "says the shard has %zu", ri.file, n, s->cells);
    cl_rows_close(&ri);
    return n;
}

void cl_shard_read(struct cl_shard *s, const char *dir, long number)
{
    memset(s, 0, sizeof *s);
    s->dir = cl_xstrdup(dir);
    s->number = number;
    struct stat st;
    s->exists = stat(dir, &st) == 0 && S_ISDIR(st.st_mode);
    if (!s->exists) {
        snprintf(s->why, sizeof s->why, "no directory %s", dir);
        return;
    }
    char err[400];
    if (cl_runyaml_read(dir, &s->run, err, sizeof err) != 0) {
        snprintf(s->why, sizeof s->why, "%s", errno == ENOENT ? "no run.yaml yet" : err);
        cl_runinfo_free(&s->run);
        return;
    }
    s->has_run = 1;
    s->state = s->run.state;
    s->hash = s->run.spec_hash;
    s->shard = s->run.shard;
    s->shards = s->run.shards;
    s->cells = s->run.cells > 0 ? (size_t)s->run.cells : 0;
    s->cells_done = count_done(s);
}

void cl_shard_free(struct cl_shard *s)
{
    cl_runinfo_free(&s->run);
    free(s->dir);
    s->dir = NULL;
}

int cl_shard_done(const struct cl_shard *s)
{
    return s->has_run && !s->problem[0] && s->state &&
           strcmp(s->state, "complete") == 0 && s->cells_done >= s->cells;
}

static int by_number(const void *a, const void *b)
{
    const struct cl_shard *x = a, *y = b;
    if (x->number != y->number)
        return x->number < y->number ? -1 : 1;
    return strcmp(x->dir, y->dir);
}

int cl_shards_scan(const char *dir, struct cl_shard **out, size_t *n,
                   char *err, size_t errlen)
{
    *out = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err, errlen, "cannot read %s: %s", dir, strerror(errno));
        return -1;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, "shard-", 6) != 0)
            continue;
        char *path = cl_xasprintf("%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
            char *end = NULL;
            long k = strtol(e->d_name + 6, &end, 10);
            if (!isdigit((unsigned char)e->d_name[6]) || *end)
                k = -1;
            *out = cl_xrealloc(*out, (*n + 1) * sizeof **out);
            cl_shard_read(&(*out)[(*n)++], path, k);
        }
        free(path);
    }
    closedir(d);
    if (*n > 1)
        qsort(*out, *n, sizeof **out, by_number);
    return 0;
}

