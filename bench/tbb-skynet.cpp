// tbb-skynet — skynet written directly against oneTBB, no conlab: the
// baseline of conlab's `tbb` strategy on the `skynet` workload
// (bench/forkjoin-bench.sh compares the two; the difference is conlab's
// cost).  The same tree: `size` leaves numbered 0..size-1, every inner node
// spawning `fanout` children over as even a split of its leaves as there is
// (one child per leaf when fewer), every leaf returning its number, every
// node the sum; one tbb::task_group per inner node, children's frames on
// its stack, in a task_arena of `workers` threads.
//
// Usage: tbb-skynet SIZE FANOUT WORKERS REPS
// Prints one line: the median wall of REPS runs, in seconds, and the check.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include <tbb/global_control.h>
#include <tbb/task_arena.h>
#include <tbb/task_group.h>

namespace {

constexpr unsigned kMaxFanout = 16;

uint64_t node(uint64_t lo, uint64_t n, unsigned fanout)
{
    if (n <= 1)
        return n ? lo : 0;
    uint64_t sums[kMaxFanout];
    unsigned f = n < fanout ? (unsigned)n : fanout;
    uint64_t each = n / f, extra = n % f;
    tbb::task_group tg;
    for (unsigned k = 0; k < f; k++) {
        uint64_t m = each + (k < extra);
        tg.run([&sums, k, lo, m, fanout] { sums[k] = node(lo, m, fanout); });
        lo += m;
    }
    tg.wait();
    uint64_t sum = 0;
    for (unsigned k = 0; k < f; k++)
        sum += sums[k];
    return sum;
}

} // namespace

int main(int argc, char **argv)
{
    if (argc != 5) {
        std::fprintf(stderr, "usage: %s SIZE FANOUT WORKERS REPS\n", argv[0]);
        return 2;
    }
    uint64_t size = std::strtoull(argv[1], nullptr, 10);
    unsigned fanout = (unsigned)std::atoi(argv[2]);
    int workers = std::atoi(argv[3]), reps = std::atoi(argv[4]);
    if (size < 1 || fanout < 2 || fanout > kMaxFanout || workers < 1 ||
        reps < 1) {
        std::fprintf(stderr, "%s: bad arguments\n", argv[0]);
        return 2;
    }
    tbb::global_control cap(tbb::global_control::max_allowed_parallelism,
                            (size_t)workers);
    tbb::task_arena arena(workers);
    const uint64_t want = size % 2 == 0 ? (size / 2) * (size - 1)
                                        : size * ((size - 1) / 2);
    std::vector<double> walls;
    bool ok = true;
    for (int r = 0; r < reps; r++) {
        auto t0 = std::chrono::steady_clock::now();
        uint64_t got = 0;
        arena.execute([&] { got = node(0, size, fanout); });
        auto t1 = std::chrono::steady_clock::now();
        walls.push_back(std::chrono::duration<double>(t1 - t0).count());
        ok = ok && got == want;
    }
    std::sort(walls.begin(), walls.end());
    std::printf("wall_median_s %.9f %s\n", walls[walls.size() / 2],
                ok ? "ok" : "WRONG");
    return ok ? 0 : 1;
}
