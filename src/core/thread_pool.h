// A fixed pool of worker threads that run one job at a time on all threads (fork-join), as the
// forward pass needs: each matrix product splits its rows over the threads and the caller waits.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace greenllm {

class ThreadPool {
 public:
  // n_threads counts the calling thread: n_threads - 1 workers are started.
  explicit ThreadPool(int n_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int n_threads() const { return n_threads_; }

  // Runs fn(ith, nth) on every thread (ith in [0, nth)), the caller being ith = 0; returns when
  // all have finished. Not reentrant. Jobs must not throw: errors are values (Status) that the
  // caller collects after the join.
  void run(const std::function<void(int ith, int nth)>& fn);

  // Splits [0, n) into nth contiguous ranges, the last ones possibly empty, aligned to `align`.
  static void split(int64_t n, int ith, int nth, int64_t align, int64_t* begin, int64_t* end);

 private:
  void worker_loop(int ith);

  int n_threads_;
  std::vector<std::thread> workers_;
  const std::function<void(int, int)>* job_ = nullptr;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> pending_{0};
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::condition_variable wake_;
};

// Number of threads to use by default: the hardware threads, at least 1.
int default_thread_count();

}  // namespace greenllm
