/* test-facts.c — the machine facts read from a fake /proc and /sys. */
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

#include "facts.h"

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(host_facts_from_a_fake_machine),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
