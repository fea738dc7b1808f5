/* facts.c — see facts.h. */
#include "facts.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

static int read_line(const char *root, const char *path, char *buf, size_t len)
{
    char *full = cl_xasprintf("%s%s", root, path);
    FILE *f = fopen(full, "r");
    free(full);
    if (!f)
        return -1;
    int ok = fgets(buf, (int)len, f) != NULL;
    fclose(f);
    if (!ok)
        return -1;
    buf[strcspn(buf, "\r\n")] = '\0';
    return 0;
}

static void add_governor(char *list, size_t len, const char *g)
{
    size_t gl = strlen(g);
    for (const char *p = list; *p;) {
        size_t l = strcspn(p, ",");
        if (l == gl && strncmp(p, g, l) == 0)
            return;
        p += l + (p[l] == ',');
    }
    size_t used = strlen(list);
    snprintf(list + used, len - used, "%s%s", used ? "," : "", g);
}

void cl_host_facts_read(const char *root, struct cl_host_facts *f)
{
    memset(f, 0, sizeof *f);
    char line[512];
    f->loadavg_1m = NAN;
    if (read_line(root, "/proc/loadavg", line, sizeof line) == 0)
        f->loadavg_1m = strtod(line, NULL);
    for (int cpu = 0; cpu < 4096; cpu++) {
        char path[96];
        snprintf(path, sizeof path,
                 "/sys/devices/system/cpu/cpu%d/cpufreq/scaling_governor", cpu);
        if (read_line(root, path, line, sizeof line) != 0) {
            char *dir = cl_xasprintf("%s/sys/devices/system/cpu/cpu%d", root, cpu);
            int exists = access(dir, F_OK) == 0;
            free(dir);
            if (!exists)
                break; /* past the last CPU */
            continue;  /* this CPU has no cpufreq */
        }
        if (*line)
            add_governor(f->governor, sizeof f->governor, line);
    }
    /* a hypervisor announces itself in the CPU flags; DMI names it */
    f->virtualized = -1;
    char *path = cl_xasprintf("%s/proc/cpuinfo", root);
    FILE *ci = fopen(path, "r");
    free(path);
    if (ci) {
        f->virtualized = 0;
        while (fgets(line, sizeof line, ci))
            if (strncmp(line, "flags", 5) == 0) {
                f->virtualized = strstr(line, " hypervisor") != NULL;
                break;
            }
        fclose(ci);
    }
    if (read_line(root, "/sys/class/dmi/id/sys_vendor", line, sizeof line) == 0 &&
        *line) {
        static const char *const vms[] = {"QEMU", "KVM", "VMware", "Xen",
                                          "Microsoft Corporation", "innotek",
                                          "Amazon EC2", "Google", "Parallels"};
        for (size_t i = 0; i < sizeof vms / sizeof *vms; i++)
            if (strstr(line, vms[i])) {
                f->virtualized = 1;
                snprintf(f->hypervisor, sizeof f->hypervisor, "%.63s", line);
            }
    }
}

char *cl_cpu_model(void)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[512];
    char *model = NULL;
    while (f && fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) == 0) {
            char *c = strchr(line, ':');
            if (c) {
                c++;
                while (*c == ' ' || *c == '\t')
                    c++;
                c[strcspn(c, "\n")] = '\0';
                model = cl_xstrdup(c);
                break;
            }
        }
    }
    if (f)
        fclose(f);
    return model ? model : cl_xstrdup("unknown");
}
