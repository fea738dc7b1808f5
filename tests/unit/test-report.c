/* test-report.c — the statistics behind report's warnings, against values
 * computed independently, and the report formats. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "report.h"

static void modified_z_known_values(void **st)
{
    (void)st;
    /* median 10.05, MAD 0.05: z = 0.6745 (x - 10.05) / 0.05 */
    const double x[] = {10, 10.1, 9.9, 10.05, 20};
    double z[5];
    cl_modified_z(x, 5, z);
    assert_float_equal(z[0], -0.6745, 1e-9);
    assert_float_equal(z[2], -2.0235, 1e-9);
    assert_float_equal(z[3], 0, 1e-12);
    assert_float_equal(z[4], 134.2255, 1e-6);
    assert_true(fabs(z[4]) > CL_WARN_MODZ);
    assert_true(fabs(z[2]) < CL_WARN_MODZ);
}

static void modified_z_zero_mad(void **st)
{
    (void)st;
    /* MAD 0: (x - median) / (1.253314 mean absolute deviation), here 0.8 */
    const double x[] = {1, 1, 1, 1, 5};
    double z[5];
    cl_modified_z(x, 5, z);
    assert_float_equal(z[0], 0, 0);
    assert_float_equal(z[4], 4 / (1.253314 * 0.8), 1e-9);
    /* all equal: nobody is an outlier */
    const double same[] = {2, 2, 2};
    cl_modified_z(same, 3, z);
    for (int i = 0; i < 3; i++)
        assert_float_equal(z[i], 0, 0);
}

static void formats(void **st)
{
    (void)st;
    enum cl_report_format f;
    assert_int_equal(cl_report_format_parse("md", &f), 0);
    assert_int_equal(f, CL_FMT_MD);
    assert_int_equal(cl_report_format_parse("markdown", &f), 0);
    assert_int_equal(f, CL_FMT_MD);
    assert_int_equal(cl_report_format_parse("json", &f), 0);
    assert_int_equal(f, CL_FMT_JSON);
    assert_int_equal(cl_report_format_parse("csv", &f), 0);
    assert_int_equal(f, CL_FMT_CSV);
    assert_int_equal(cl_report_format_parse("text", &f), 0);
    assert_int_equal(f, CL_FMT_TEXT);
    assert_int_equal(cl_report_format_parse("html", &f), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(modified_z_known_values),
        cmocka_unit_test(modified_z_zero_mad),
        cmocka_unit_test(formats),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
