/* fuzz-rundir.c — libFuzzer target for the run-directory readers.
 *
 * The input is up to four files separated by NUL bytes, in this order:
 * results.csv, summary.csv, run.yaml, tasks.csv (a part left out: that file
 * is absent).  They are written into a scratch directory (in /dev/shm when
 * there is one), and everything that reads a run directory it did not write
 * runs on it under ASan and UBSan: the report loader (cl_report_load: the
 * readers of results.csv, summary.csv and run.yaml, and its validation),
 * every report format, the timelines plot reads from tasks.csv, `conlab
 * compare` of the directory with itself (inputs of odd length), and what `conlab status` and
 * `conlab merge` read of a shard (cl_shard_read).  A loader that refuses
 * the directory must say why; one that accepts it must give a report every
 * writer can print.
 *
 * Built only with CONLAB_FUZZ=ON and clang (tests/fuzz/CMakeLists.txt):
 *   CC=clang cmake -S . -B build-fuzz -DCONLAB_FUZZ=ON
 *   cmake --build build-fuzz --target fuzz-rundir
 *   build-fuzz/tests/fuzz/fuzz-rundir -dict=tests/fuzz/rundir.dict \
 *       /tmp/corpus tests/fuzz/rundir-corpus
 */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compare.h"
#include "plot_timeline.h"
#include "report.h"
#include "shards.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const files[] = {"results.csv", "summary.csv", "run.yaml",
                                    "tasks.csv"};
#define N_FILES (sizeof files / sizeof *files)

static char dir[256];
static FILE *devnull;

static void cleanup(void)
{
    char path[512];
    for (size_t k = 0; k < N_FILES; k++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[k]);
        unlink(path);
    }
    rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(dir, sizeof dir, "%s/fuzz-rundir.%ld", base, (long)getpid());
    if (mkdir(dir, 0700) != 0) {
        perror(dir);
        abort();
    }
    atexit(cleanup);
    devnull = fopen("/dev/null", "w");
    /* compare prints its table on stdout */
    int fd = open("/dev/null", O_WRONLY);
    if (!devnull || fd < 0 || dup2(fd, STDOUT_FILENO) < 0)
        abort();
    close(fd);
    return 0;
}

static void put_files(const uint8_t *data, size_t size)
{
    char path[512];
    size_t at = 0;
    for (size_t k = 0; k < N_FILES; k++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[k]);
        if (at > size) {
            unlink(path);
            continue;
        }
        const uint8_t *end = memchr(data + at, 0, size - at);
        size_t len = end ? (size_t)(end - (data + at)) : size - at;
        FILE *f = fopen(path, "w");
        if (!f || fwrite(data + at, 1, len, f) != len || fclose(f) != 0)
            abort();
        at += len + 1;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    put_files(data, size);
    struct cl_run_report *r = NULL;
    char err[1024] = "";
    if (cl_report_load(dir, &r, err, sizeof err) != 0) {
        if (!err[0] || r)
            abort(); /* refused without saying why */
    } else {
        for (int fmt = CL_FMT_TEXT; fmt <= CL_FMT_JSON; fmt++)
            if (cl_report_write(devnull, r, (enum cl_report_format)fmt) != 0)
                abort();
        for (size_t w = 0; w < r->n_workloads; w++)
            cl_report_html_workload(devnull, r, w);
        cl_report_html_header(devnull, r);
        struct cl_timeline *tl = calloc(r->n_cells ? r->n_cells : 1, sizeof *tl);
        if (cl_timelines_load(r, tl, err, sizeof err) == 1)
            for (size_t i = 0; i < r->n_cells; i++)
                cl_plot_timeline(devnull, &r->cells[i], &tl[i]);
        for (size_t i = 0; i < r->n_cells; i++)
            free(tl[i].bars);
        free(tl);
        cl_report_free(r);
        /* compare reads the directory twice more: on every other input
         * (by its length), so the readers get the time */
        char *argv[] = {"compare", dir, dir, NULL};
        if (size % 2 && cl_cmd_compare(3, argv) != 0)
            abort();
    }
    struct cl_shard s;
    cl_shard_read(&s, dir, 0);
    (void)cl_shard_done(&s);
    cl_shard_free(&s);
    return 0;
}
