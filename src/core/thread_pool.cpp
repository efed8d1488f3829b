// Fork-join pool: workers spin briefly on a generation counter (a decode step issues hundreds of small
// jobs per token, too short for a condition-variable round trip) and then sleep. Every wait yields
// the CPU after a short spin, so that on a machine with more runnable threads than cores a waiting
// thread does not burn the time slice of the one it waits for.
#include "core/thread_pool.h"

#include <algorithm>

namespace greenllm {
namespace {
constexpr int kSpinIterations = 2000;    // pause-spins before yielding
constexpr int kYieldIterations = 2000;   // yields before a worker sleeps on the condition variable

inline void cpu_relax() { __builtin_ia32_pause(); }
}  // namespace

ThreadPool::ThreadPool(int n_threads) : n_threads_(std::max(1, n_threads)) {
  for (int i = 1; i < n_threads_; ++i) workers_.emplace_back([this, i] { worker_loop(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_.store(true);
    generation_.fetch_add(1);
  }
  wake_.notify_all();
  for (auto& t : workers_) t.join();
}

void ThreadPool::run(const std::function<void(int, int)>& fn) {
  if (n_threads_ == 1) {
    fn(0, 1);
    return;
  }
  job_ = &fn;
  pending_.store(n_threads_ - 1, std::memory_order_relaxed);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    generation_.fetch_add(1, std::memory_order_release);
  }
  wake_.notify_all();
  fn(0, n_threads_);
  for (int spins = 0; pending_.load(std::memory_order_acquire) != 0; ++spins) {
    if (spins < kSpinIterations) cpu_relax();
    else std::this_thread::yield();
  }
  job_ = nullptr;
}

void ThreadPool::worker_loop(int ith) {
  uint64_t seen = 0;
  for (;;) {
    for (int spins = 0; generation_.load(std::memory_order_acquire) == seen && spins < kSpinIterations + kYieldIterations; ++spins) {
      if (spins < kSpinIterations) cpu_relax();
      else std::this_thread::yield();
    }
    if (generation_.load(std::memory_order_acquire) == seen) {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return generation_.load(std::memory_order_acquire) != seen; });
    }
    seen = generation_.load(std::memory_order_acquire);
    if (stop_.load()) return;
    (*job_)(ith, n_threads_);
    pending_.fetch_sub(1, std::memory_order_acq_rel);
  }
}

void ThreadPool::split(int64_t n, int ith, int nth, int64_t align, int64_t* begin, int64_t* end) {
  const int64_t n_units = (n + align - 1) / align;
  const int64_t per = n_units / nth, extra = n_units % nth;
  const int64_t u0 = ith * per + std::min<int64_t>(ith, extra);
  const int64_t u1 = u0 + per + (ith < extra ? 1 : 0);
  *begin = std::min(n, u0 * align);
  *end = std::min(n, u1 * align);
}

int default_thread_count() {
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : int(n);
}

}  // namespace greenllm
