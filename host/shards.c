/* shards.c — see shards.h. */
#include "shards.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cellstate.h"
#include "csv.h"
#include "rundir.h"
#include "util.h"

/* The cell of results.csv named `name`, added when new. */
static struct cl_cell *cell_named(struct cl_cell **cells, size_t *n, const char *name)
{
    struct cl_cell *c = cl_cell_find(*cells, *n, name);
    if (c)
        return c;
    *cells = cl_xrealloc(*cells, (*n + 1) * sizeof **cells);
    c = &(*cells)[*n];
    memset(c, 0, sizeof *c);
    c->index = (*n)++;
    c->name = cl_xstrdup(name);
    return c;
}

/* The cells results.csv finishes, by the rule --resume follows
 * (cl_cell_take_row, cl_cell_finished); summary.csv, which only repeats
 * it, is not read.  A torn last record is dropped, as --resume drops it.
 * The first problem of the file (FILE:LINE: cell 'NAME': why) in
 * s->problem: such a shard is not done. */
static size_t count_done(struct cl_shard *s)
{
    struct cl_rows_in ri;
    char why[512];
    if (cl_rows_open(&ri, s->dir, "results.csv", why, sizeof why) != 0) {
        if (errno != ENOENT) /* none: nothing measured yet */
            snprintf(s->problem, sizeof s->problem, "%s", why);
        cl_rows_close(&ri);
        return 0;
    }
    if (ri.cols.repetition < 0 || ri.cols.status < 0)
        snprintf(s->problem, sizeof s->problem, "%s:1: no '%s' column", ri.file,
                 ri.cols.status < 0 ? "status" : "repetition");
    else if (s->run.repeat < 1)
        snprintf(s->problem, sizeof s->problem, "%s/run.yaml: no `repeat`: which "
                 "cells finished cannot be told", s->dir);
    struct cl_cell *cells = NULL;
    size_t n_cells = 0;
    struct cl_csv_row row;
    struct cl_rep_row rep;
    int rc;
    while (!s->problem[0] && (rc = cl_rows_next(&ri, &row, &rep, why, sizeof why)) > 0) {
        const char *name = cl_csv_get(&row, ri.cols.cell);
        if (rc == 2)
            snprintf(s->problem, sizeof s->problem, "%s", why);
        else if (cl_cell_take_row(cell_named(&cells, &n_cells, name), &rep,
                                  cl_csv_get(&row, ri.cols.repetition),
                                  s->run.repeat, why, sizeof why) < 0)
            snprintf(s->problem, sizeof s->problem, "%s:%zu: cell '%s': %s",
                     ri.file, row.line, name, why);
        cl_csv_row_free(&row);
    }
    size_t n = 0;
    for (size_t i = 0; i < n_cells; i++)
        n += cl_cell_finished(&cells[i], s->run.repeat);
    if (!s->problem[0] && s->cells && n_cells > s->cells)
        snprintf(s->problem, sizeof s->problem, "%s: rows of %zu cells, run.yaml "
                 "says the shard has %zu", ri.file, n_cells, s->cells);
    cl_cells_free(cells, n_cells);
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

