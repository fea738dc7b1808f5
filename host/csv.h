/* csv.h — RFC 4180 CSV, the one reader and writer of every .csv file of a
 * run directory (results.csv, summary.csv, tasks.csv).  Host-private. */
#ifndef CONLAB_HOST_CSV_H
#define CONLAB_HOST_CSV_H

#include <stddef.h>
#include <stdio.h>

/* ---- in ------------------------------------------------------------------- */

struct cl_csv_row {
    size_t n;
    char **f;    /* fields, owned by the row */
    size_t line; /* 1-based line of the file where the record starts */
};

/* A file being read: where we are, for messages ("results.csv:12: ..."). */
struct cl_csv_in {
    FILE *f;
    char *path;  /* owned: as opened, or the name given to cl_csv_from */
    size_t line; /* lines consumed so far */
    int own;     /* 1 when cl_csv_close closes f */
};

/** Open `path` for reading.  0, or -1 with errno (ENOENT: no such file). */
int cl_csv_open(struct cl_csv_in *in, const char *path);
/** Read from an open stream (borrowed: cl_csv_close leaves it open); `name`
 *  is copied, for messages. */
void cl_csv_from(struct cl_csv_in *in, FILE *f, const char *name);
/** Read one record (quoted fields may hold commas, quotes, newlines) into
 *  *row, which the caller frees with cl_csv_row_free; a field cl_csv_field
 *  neutralised as a formula comes back as it was (cl_neutral_csv_unquote;
 *  a masked password stays masked).  Returns 1 with a row,
 *  0 at end of file, -1 on a torn record (a quote left open at end of file,
 *  or a last line without its newline): then row->line says where the torn
 *  record starts and the row holds nothing. */
int cl_csv_next(struct cl_csv_in *in, struct cl_csv_row *row);
void cl_csv_close(struct cl_csv_in *in); /* accepts one never opened (f NULL) */
void cl_csv_row_free(struct cl_csv_row *row);

/** Index of the column named `name` in a header row, or -1. */
long cl_csv_col(const struct cl_csv_row *hdr, const char *name);
/** Field `col` of a row (borrowed); "" when the column is absent (col < 0)
 *  or the row is short. */
const char *cl_csv_get(const struct cl_csv_row *row, long col);
/** A number field: NAN when empty or not wholly a number. */
double cl_csv_num(const char *s);

/* ---- out ------------------------------------------------------------------ */

/** Write field s (NULL: empty) preceded by a comma unless `first`, made
 *  harmless: the password of a URL in it masked (cl_neutral_url), a leading
 *  quote when a spreadsheet would take it as a formula (cl_neutral_csv:
 *  numbers never get one); quoted when it holds a comma, quote, CR or LF
 *  or starts or ends with a space.  Every text field of a run directory's
 *  CSV files goes through here. */
void cl_csv_field(FILE *f, const char *s, int first);
/** ",%.9g", or "," alone when v is not finite. */
void cl_csv_double(FILE *f, double v);
/** ",%llu". */
void cl_csv_u64(FILE *f, unsigned long long v);
/** Every field of `row`, then a newline. */
void cl_csv_write_row(FILE *f, const struct cl_csv_row *row);

#endif
