// tbb_runtime.cpp — see tbb_runtime.h (the model is described in tbb.c).
#include "tbb_runtime.h"

#include <atomic>
#include <memory>
#include <mutex>
#include <new>
#include <thread>
#include <vector>

#include <tbb/blocked_range.h>
#include <tbb/global_control.h>
#include <tbb/parallel_for.h>
#include <tbb/partitioner.h>
#include <tbb/task_arena.h>
#include <tbb/task_group.h>

namespace {

enum SlotState { UNBORN, BEGUN, FAILED };

struct Run;

// One arena slot, one conlab worker.  Only the thread occupying the slot
// touches it while the arena runs.
struct alignas(64) Slot {
    conlab_spawner sp;
    Run *run;
    unsigned id;
    std::atomic<int> state{UNBORN};
    std::atomic<uint64_t> spawns{0};
};

struct Run {
    const conlab_job *job;
    unsigned gen; // tells this run's thread-local bindings from older ones
    std::unique_ptr<Slot[]> slots;
    std::mutex orphans_lock;
    std::vector<uint64_t> orphans; // top-level tasks handed to failed slots
};

// What a conlab group's first word points to.
struct Group {
    tbb::task_group tg;
    std::atomic<int> err{0};
};

std::atomic<unsigned> run_gen{0};
thread_local unsigned tl_gen;    // the run this thread last bound for
thread_local int tl_bound = -1;  // the slot it bound to
thread_local std::vector<std::unique_ptr<Group>> tl_cache; // waited, free

// The slot the calling thread occupies, begun on first use (bound again
// when the thread has moved to another slot); nullptr when its worker_begin
// failed.
Slot *enter(Run &run)
{
    const conlab_job *job = run.job;
    int idx = tbb::this_task_arena::current_thread_index();
    if (idx < 0 || (unsigned)idx >= job->n_workers)
        return nullptr;
    Slot &s = run.slots[idx];
    if (tl_gen != run.gen || tl_bound != idx) {
        (void)job->bind(job, (unsigned)idx);
        tl_gen = run.gen;
        tl_bound = idx;
    }
    int st = s.state.load(std::memory_order_acquire);
    if (st == UNBORN) {
        int rc = job->set_spawner(job, s.id, &s.sp);
        if (rc == CONLAB_OK)
            rc = job->worker_begin(job, s.id, nullptr);
        st = rc == CONLAB_OK ? BEGUN : FAILED;
        s.state.store(st, std::memory_order_release);
    }
    return st == BEGUN ? &s : nullptr;
}

void record(std::atomic<int> &err, int rc)
{
    int none = 0;
    if (rc != CONLAB_OK)
        err.compare_exchange_strong(none, rc, std::memory_order_relaxed);
}

int tbb_spawn(void *ctx, conlab_group *cg, conlab_child_fn fn, void *arg)
{
    Slot *self = static_cast<Slot *>(ctx);
    Run *run = self->run;
    Group *g = reinterpret_cast<Group *>(cg->opaque[0]);
    if (!g) {
        if (!tl_cache.empty()) {
            g = tl_cache.back().release();
            tl_cache.pop_back();
        } else {
            g = new (std::nothrow) Group;
        }
        if (!g) { // no memory: the child runs now (the spawner of the
            int rc = run->job->run_child(run->job, self->id, fn, arg);
            if (rc != CONLAB_OK && cg->opaque[1] == 0)
                cg->opaque[1] = (uint64_t)(int64_t)rc; // group's first error)
            return CONLAB_OK;
        }
        cg->opaque[0] = reinterpret_cast<uintptr_t>(g);
    }
    // one thread in the slot at a time: no locked add needed
    self->spawns.store(self->spawns.load(std::memory_order_relaxed) + 1,
                       std::memory_order_relaxed);
    try { // no exception may cross back into C
        g->tg.run([run, g, fn, arg] {
            Slot *s = enter(*run);
            record(g->err, s ? run->job->run_child(run->job, s->id, fn, arg)
                             : CONLAB_E_NOTSUP);
        });
    } catch (...) { // no memory for the task: the child runs now
        record(g->err, run->job->run_child(run->job, self->id, fn, arg));
    }
    return CONLAB_OK;
}

int tbb_sync(void *ctx, conlab_group *cg)
{
    (void)ctx;
    int rc = (int)(int64_t)cg->opaque[1];
    Group *g = reinterpret_cast<Group *>(cg->opaque[0]);
    if (g) {
        g->tg.wait();
        int err = g->err.exchange(0, std::memory_order_relaxed);
        if (rc == CONLAB_OK)
            rc = err;
        try { // the same thread spawns and syncs: its cache
            tl_cache.emplace_back(g);
        } catch (...) {
            delete g;
        }
    }
    cg->opaque[0] = cg->opaque[1] = 0; // reusable
    return rc;
}

void run_range(Run &run, uint64_t lo, uint64_t hi)
{
    Slot *s = enter(run);
    for (uint64_t i = lo; i < hi; i++) {
        if (s) {
            (void)run.job->run_task(run.job, s->id, i);
        } else {
            std::lock_guard<std::mutex> hold(run.orphans_lock);
            run.orphans.push_back(i);
        }
    }
}

template <typename Partitioner>
void flat(Run &run, Partitioner &&part)
{
    tbb::parallel_for(
        tbb::blocked_range<uint64_t>(0, run.job->n_tasks, 1),
        [&run](const tbb::blocked_range<uint64_t> &r) {
            run_range(run, r.begin(), r.end());
        },
        part);
}

// The top-level tasks failed slots were handed, run by the arena's worker
// threads: enqueued from outside the arena (the calling thread, whose slot
// may be the failed one, is then not among the arena's threads), a few
// rounds since a round may hand some to a failed slot again.
void drain_orphans(Run &run, tbb::task_arena &arena)
{
    for (int round = 0; round < 8; round++) {
        std::vector<uint64_t> todo;
        {
            std::lock_guard<std::mutex> hold(run.orphans_lock);
            todo.swap(run.orphans);
        }
        if (todo.empty())
            return;
        std::atomic<size_t> pending{todo.size()};
        for (uint64_t i : todo)
            arena.enqueue([&run, &pending, i] {
                run_range(run, i, i + 1);
                pending.fetch_sub(1, std::memory_order_release);
            });
        while (pending.load(std::memory_order_acquire) > 0)
            std::this_thread::yield();
    }
}

int run_all(const conlab_job *job, tbb_partitioner part)
{
    const unsigned n = job->n_workers;
    Run run;
    run.job = job;
    run.gen = run_gen.fetch_add(1) + 1;
    run.slots.reset(new Slot[n]);
    for (unsigned w = 0; w < n; w++) {
        Slot &s = run.slots[w];
        s.run = &run;
        s.id = w;
        s.sp = conlab_spawner{};
        s.sp.struct_size = sizeof(conlab_spawner);
        s.sp.ctx = &s;
        s.sp.spawn = tbb_spawn;
        s.sp.sync = tbb_sync;
    }
    {
        tbb::global_control cap(tbb::global_control::max_allowed_parallelism,
                                n);
        tbb::task_arena arena((int)n);
        arena.execute([&] {
            switch (part) {
            case TBB_PART_SIMPLE: flat(run, tbb::simple_partitioner()); break;
            case TBB_PART_STATIC: flat(run, tbb::static_partitioner()); break;
            default: flat(run, tbb::auto_partitioner()); break;
            }
        });
        if (n > 1) // else no thread but the caller's could run them
            drain_orphans(run, arena);
    }
    for (unsigned w = 0; w < n; w++) {
        Slot &s = run.slots[w];
        if (s.state.load() != BEGUN)
            continue;
        if (uint64_t k = s.spawns.load())
            job->count(job, TBB_C_SPAWNS, k);
        job->worker_end(job, w);
    }
    return CONLAB_OK;
}

} // namespace

extern "C" int conlab_tbb_run(const struct conlab_job *job,
                              enum tbb_partitioner part, const char *plugin)
{
    try {
        return run_all(job, part);
    } catch (const std::bad_alloc &) {
        job->host->log(CONLAB_LOG_ERROR, plugin, "out of memory");
        return CONLAB_E_NOMEM;
    } catch (const std::exception &e) {
        job->host->log(CONLAB_LOG_ERROR, plugin, "oneTBB: %s", e.what());
        return CONLAB_E_SYS;
    }
}
