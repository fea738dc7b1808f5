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

/* Rows of summary.csv whose cell finished (as --resume counts them). */
static size_t count_done(const char *dir)
{
    char *path = cl_xasprintf("%s/summary.csv", dir);
    struct cl_csv_in in;
    int rc = cl_csv_open(&in, path);
    free(path);
    if (rc != 0)
        return 0;
    struct cl_csv_row hdr, row;
    size_t n = 0;
    if (cl_csv_next(&in, &hdr) == 1) {
        long col = cl_csv_col(&hdr, "status");
        while (cl_csv_next(&in, &row) == 1) {
            if (col >= 0 && (size_t)col < row.n &&
                strcmp(row.f[col], cl_status_name(CL_ST_INTERRUPTED)) != 0)
                n++;
            cl_csv_row_free(&row);
        }
        cl_csv_row_free(&hdr);
    }
    cl_csv_close(&in);
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
    s->cells_done = count_done(dir);
}

void cl_shard_free(struct cl_shard *s)
{
    cl_runinfo_free(&s->run);
    free(s->dir);
    s->dir = NULL;
}

int cl_shard_done(const struct cl_shard *s)
{
    return s->has_run && s->state && strcmp(s->state, "complete") == 0 &&
           s->cells_done >= s->cells;
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

