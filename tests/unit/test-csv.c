/* test-csv.c — the one CSV reader and writer: quoting that survives a round
 * trip (commas, quotes, newlines, edge spaces), CRLF files, line numbers,
 * and a torn last record told apart from a whole one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "csv.h"

/* The records of `text`, read through a memory stream; returns the last
 * cl_csv_next result (0 at a clean end, -1 torn) and the rows read. */
static int read_all(const char *text, struct cl_csv_row *rows, size_t max,
                    size_t *n, size_t *torn_line)
{
    FILE *f = fmemopen((void *)text, strlen(text), "r");
    assert_non_null(f);
    struct cl_csv_in in;
    cl_csv_from(&in, f, "mem.csv");
    assert_string_equal(in.path, "mem.csv");
    int rc;
    struct cl_csv_row row;
    *n = 0;
    while ((rc = cl_csv_next(&in, &row)) == 1) {
        assert_true(*n < max);
        rows[(*n)++] = row;
    }
    if (torn_line)
        *torn_line = row.line;
    assert_int_equal(row.n, 0); /* a torn or absent record holds nothing */
    cl_csv_close(&in);
    fclose(f);
    return rc;
}

static void free_rows(struct cl_csv_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++)
        cl_csv_row_free(&rows[i]);
}

static void quoted_fields_round_trip(void **st)
{
    (void)st;
    static const char *const fields[] = {
        "plain", "with,comma", "with \"quotes\"", "two\nlines", " lead",
        "trail ", "", "cr\rinside", "\"", "x(a=1,b=2) x y(c=3)"};
    size_t nf = sizeof fields / sizeof *fields;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    for (int r = 0; r < 2; r++) {
        for (size_t i = 0; i < nf; i++)
            cl_csv_field(f, fields[i], i == 0);
        fputc('\n', f);
    }
    fclose(f);
    /* quoting only where needed */
    assert_memory_equal(buf, "plain,\"with,comma\",\"with \"\"quotes\"\"\"", 35);

    struct cl_csv_row rows[4];
    size_t n;
    assert_int_equal(read_all(buf, rows, 4, &n, NULL), 0);
    assert_int_equal(n, 2);
    for (size_t r = 0; r < n; r++) {
        assert_int_equal(rows[r].n, nf);
        for (size_t i = 0; i < nf; i++)
            assert_string_equal(rows[r].f[i], fields[i]);
    }
    /* the second record starts after the first one's embedded newline */
    assert_int_equal(rows[0].line, 1);
    assert_int_equal(rows[1].line, 3);
    free_rows(rows, n);
    free(buf);
}

/* Formula cells are written with a leading quote and read back as they
 * were, numbers are left alone, a URL password never reaches the file. */
static void fields_neutralised_and_read_back(void **st)
{
    (void)st;
    static const char *const fields[] = {
        "=1+1", "-x", "@SUM(A1)", "-1.5", "'=already", "''+two", "'plain",
        "http(urls=http://u:pw@h/x)"};
    static const char *const written =
        "'=1+1,'-x,'@SUM(A1),-1.5,''=already,'''+two,'plain,"
        "http(urls=http://u:***@h/x)\n";
    size_t nf = sizeof fields / sizeof *fields;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    for (size_t i = 0; i < nf; i++)
        cl_csv_field(f, fields[i], i == 0);
    fputc('\n', f);
    fclose(f);
    assert_string_equal(buf, written);
    struct cl_csv_row rows[2];
    size_t n;
    assert_int_equal(read_all(buf, rows, 2, &n, NULL), 0);
    assert_int_equal(n, 1);
    assert_int_equal(rows[0].n, nf);
    for (size_t i = 0; i + 1 < nf; i++)
        assert_string_equal(rows[0].f[i], fields[i]);
    assert_string_equal(rows[0].f[nf - 1], "http(urls=http://u:***@h/x)");
    free_rows(rows, n);
    free(buf);
}

static void write_row_copies_a_row(void **st)
{
    (void)st;
    char *a[] = {"a,b", "", "c\"d"};
    struct cl_csv_row row = {3, a, 1};
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cl_csv_write_row(f, &row);
    cl_csv_double(f, 0.25);
    cl_csv_double(f, NAN);
    cl_csv_u64(f, 18446744073709551615ull);
    fclose(f);
    assert_string_equal(buf, "\"a,b\",,\"c\"\"d\"\n,0.25,,18446744073709551615");
    free(buf);
}

static void crlf_and_lone_cr_end_records(void **st)
{
    (void)st;
    struct cl_csv_row rows[4];
    size_t n;
    assert_int_equal(read_all("h1,h2\r\n1,\"x\r\ny\"\r\n2,z\r", rows, 4, &n, NULL), 0);
    assert_int_equal(n, 3);
    assert_string_equal(rows[1].f[1], "x\r\ny");
    assert_string_equal(rows[2].f[0], "2");
    assert_string_equal(rows[2].f[1], "z");
    assert_int_equal(rows[1].line, 2);
    assert_int_equal(rows[2].line, 4);
    free_rows(rows, n);
}

static void torn_last_record(void **st)
{
    (void)st;
    struct cl_csv_row rows[4];
    size_t n, line;
    /* a last line without its newline: a write cut short */
    assert_int_equal(read_all("a,b\n1,2\n3,4", rows, 4, &n, &line), -1);
    assert_int_equal(n, 2);
    assert_int_equal(line, 3);
    free_rows(rows, n);
    /* a quote left open at the end, its record spanning lines */
    assert_int_equal(read_all("a,b\n1,\"open\nstill\n", rows, 4, &n, &line), -1);
    assert_int_equal(n, 1);
    assert_int_equal(line, 2);
    free_rows(rows, n);
    /* a trailing comma but no newline */
    assert_int_equal(read_all("a,b\n1,", rows, 4, &n, &line), -1);
    assert_int_equal(n, 1);
    free_rows(rows, n);
    /* a whole file, and an empty one */
    assert_int_equal(read_all("a,b\n1,2\n", rows, 4, &n, NULL), 0);
    assert_int_equal(n, 2);
    free_rows(rows, n);
    assert_int_equal(read_all("", rows, 4, &n, NULL), 0);
    assert_int_equal(n, 0);
}

static void columns_and_numbers(void **st)
{
    (void)st;
    char *h[] = {"cell", "wall_s", "detail"};
    struct cl_csv_row hdr = {3, h, 1};
    char *v[] = {"x", "0.5"};
    struct cl_csv_row row = {2, v, 2};
    assert_int_equal(cl_csv_col(&hdr, "wall_s"), 1);
    assert_int_equal(cl_csv_col(&hdr, "nope"), -1);
    assert_string_equal(cl_csv_get(&row, 1), "0.5");
    assert_string_equal(cl_csv_get(&row, 2), "");  /* short row */
    assert_string_equal(cl_csv_get(&row, -1), ""); /* absent column */
    assert_float_equal(cl_csv_num("0.5"), 0.5, 0);
    assert_float_equal(cl_csv_num("1e-3"), 1e-3, 0);
    assert_true(isnan(cl_csv_num("")));
    assert_true(isnan(cl_csv_num("1.5x")));
}

static void open_missing_file(void **st)
{
    (void)st;
    struct cl_csv_in in;
    assert_int_equal(cl_csv_open(&in, "/nonexistent/conlab/x.csv"), -1);
    cl_csv_close(&in); /* harmless on a file never opened */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(quoted_fields_round_trip),
        cmocka_unit_test(fields_neutralised_and_read_back),
        cmocka_unit_test(write_row_copies_a_row),
        cmocka_unit_test(crlf_and_lone_cr_end_records),
        cmocka_unit_test(torn_last_record),
        cmocka_unit_test(columns_and_numbers),
        cmocka_unit_test(open_missing_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
