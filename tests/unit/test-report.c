/* test-report.c — the statistics behind report's warnings and compare's
 * verdicts, against values computed independently (brute-force permutation
 * counts and R's wilcox.test), and the machine facts read from a fake /proc
 * and /sys. */
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

#include "compare.h"
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

static void mann_whitney_exact(void **st)
{
    (void)st;
    double u;
    /* fully separated 5 vs 5: the two most extreme of C(10,5) = 252 */
    const double a[] = {1, 2, 3, 4, 5}, b[] = {6, 7, 8, 9, 10};
    assert_float_equal(cl_mann_whitney_p(a, 5, b, 5, &u), 2.0 / 252, 1e-12);
    assert_float_equal(u, 0, 0);
    assert_float_equal(cl_mann_whitney_p(b, 5, a, 5, &u), 2.0 / 252, 1e-12);
    assert_float_equal(u, 25, 0);
    /* 3 vs 3 can never go below 0.1 */
    assert_float_equal(cl_mann_whitney_p(a, 3, b, 3, NULL), 0.1, 1e-12);
    /* R: wilcox.test(c(1.1,2.2,3.3,4.4), c(3.5,5.5,6.6,7.7)): W = 1, p = 0.05714 */
    const double c[] = {1.1, 2.2, 3.3, 4.4}, d[] = {3.5, 5.5, 6.6, 7.7};
    assert_float_equal(cl_mann_whitney_p(c, 4, d, 4, &u), 4.0 / 70, 1e-12);
    assert_float_equal(u, 1, 0);
    /* unequal sizes, by enumerating all C(11,6) splits: p = 4/462 */
    const double e[] = {10.2, 11.5, 9.8, 12.1, 10.9, 11.1};
    const double f[] = {12.5, 13.1, 11.9, 12.8, 13.6};
    assert_float_equal(cl_mann_whitney_p(e, 6, f, 5, &u), 0.008658008658, 1e-10);
    assert_float_equal(u, 1, 0);
    /* identical samples without ties between them: p = 1 */
    const double g[] = {1, 3, 5}, h[] = {2, 4, 6};
    assert_true(cl_mann_whitney_p(g, 3, h, 3, NULL) > 0.5);
}

static void mann_whitney_normal(void **st)
{
    (void)st;
    double u;
    /* ties: R wilcox.test(c(1,1,2,2,3), c(2,3,3,4,4), exact=FALSE): W = 3,
     * p = 0.05241 (tie and continuity corrections) */
    const double a[] = {1, 1, 2, 2, 3}, b[] = {2, 3, 3, 4, 4};
    assert_float_equal(cl_mann_whitney_p(a, 5, b, 5, &u), 0.0524116287, 1e-8);
    assert_float_equal(u, 3, 0);
    /* beyond 30 a side: 0..39 against 10.5..44.5, U = 435 */
    double x[40], y[35];
    for (int i = 0; i < 40; i++)
        x[i] = i;
    for (int i = 0; i < 35; i++)
        y[i] = i + 10.5;
    assert_float_equal(cl_mann_whitney_p(x, 40, y, 35, &u), 0.0049701891, 1e-8);
    assert_float_equal(u, 435, 0);
    /* every value the same: no evidence */
    const double s[] = {7, 7, 7};
    assert_float_equal(cl_mann_whitney_p(s, 3, s, 3, NULL), 1, 0);
    assert_true(isnan(cl_mann_whitney_p(s, 0, s, 3, NULL)));
}

static void put(const char *root, const char *rel, const char *text)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    for (char *p = path + strlen(root) + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            mkdir(path, 0777);
            *p = '/';
        }
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void host_facts_from_a_fake_machine(void **st)
{
    (void)st;
    char root[] = "/tmp/conlab-facts-XXXXXX";
    assert_non_null(mkdtemp(root));
    put(root, "proc/loadavg", "3.50 2.00 1.00 1/100 123\n");
    put(root, "proc/cpuinfo", "processor\t: 0\nflags\t\t: fpu vme hypervisor lahf_lm\n");
    put(root, "sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", "powersave\n");
    put(root, "sys/devices/system/cpu/cpu1/cpufreq/scaling_governor", "performance\n");
    put(root, "sys/devices/system/cpu/cpu2/online", "1\n"); /* no cpufreq */
    put(root, "sys/devices/system/cpu/cpu3/cpufreq/scaling_governor", "powersave\n");
    put(root, "sys/class/dmi/id/sys_vendor", "QEMU\n");
    struct cl_host_facts f;
    cl_host_facts_read(root, &f);
    assert_float_equal(f.loadavg_1m, 3.5, 1e-12);
    assert_string_equal(f.governor, "powersave,performance");
    assert_int_equal(f.virtualized, 1);
    assert_string_equal(f.hypervisor, "QEMU");

    /* bare metal without cpufreq */
    char root2[] = "/tmp/conlab-facts-XXXXXX";
    assert_non_null(mkdtemp(root2));
    put(root2, "proc/cpuinfo", "processor\t: 0\nflags\t\t: fpu vme lahf_lm\n");
    cl_host_facts_read(root2, &f);
    assert_true(isnan(f.loadavg_1m));
    assert_string_equal(f.governor, "");
    assert_int_equal(f.virtualized, 0);
    assert_string_equal(f.hypervisor, "");
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s'", root, root2);
    assert_int_equal(system(cmd), 0);
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
        cmocka_unit_test(mann_whitney_exact),
        cmocka_unit_test(mann_whitney_normal),
        cmocka_unit_test(host_facts_from_a_fake_machine),
        cmocka_unit_test(formats),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
