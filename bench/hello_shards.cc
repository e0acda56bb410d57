// hello_shards: the smallest multi-shard percore program (two pinned shards joined by the mesh,
// one submit_to from shard 0 to shard 1, a line printed), used by scripts/bench to measure the
// start-up of a sharded program: topology, placement, threads, engines, mesh, stop and join.
//
// Built a second time with PERCORE_HELLO_FLOOR, it is the floor beneath that: no percore, two
// pinned threads, one io_uring ring each (set up with the engine's flags), one IORING_OP_MSG_RING
// from the first thread's ring to the second's and one back, the same line printed, a join.
#include <cstdio>

#ifndef PERCORE_HELLO_FLOOR

#include <percore/engine/task.hh>
#include <percore/shards/launch.hh>
#include <percore/shards/submit_to.hh>

int main() {
  percore::launch_config config;
  config.placement.smp = 2;
  return percore::launch(config, []() -> percore::task<int> {
    const unsigned far = co_await percore::submit_to(1, [] { return percore::this_shard_id(); });
    // stdio, not iostream: iostream's static initialisation costs start-up time and size.
    std::printf("hello from shard %u of %u\n", percore::this_shard_id(), percore::shard_count());
    co_return far == 1 ? 0 : 1;
  });
}

#else  // PERCORE_HELLO_FLOOR

#include <liburing.h>
#include <pthread.h>
#include <sched.h>

#include <atomic>
#include <cstdlib>
#include <thread>

namespace {

void pin(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

void set_up(io_uring& ring) {
  io_uring_params params{};
  params.flags = IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG |
                 IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_CQSIZE;
  params.cq_entries = 512;
  if (io_uring_queue_init_params(256, &ring, &params) != 0) std::abort();
}

// Sends one MSG_RING completion carrying `value` to `target`'s ring.
void message(io_uring& from, const io_uring& target, unsigned value) {
  io_uring_sqe* sqe = io_uring_get_sqe(&from);
  io_uring_prep_msg_ring(sqe, target.ring_fd, 0, value, 0);
  sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
  io_uring_submit(&from);
}

unsigned receive(io_uring& ring) {
  io_uring_cqe* cqe = nullptr;
  if (io_uring_wait_cqe(&ring, &cqe) != 0) std::abort();
  const auto value = static_cast<unsigned>(cqe->user_data);
  io_uring_cqe_seen(&ring, cqe);
  return value;
}

}  // namespace

int main() {
  io_uring first{}, second{};
  std::atomic<bool> second_ready{false};
  pin(0);
  set_up(first);
  std::thread partner([&] {
    pin(1);
    set_up(second);
    second_ready.store(true, std::memory_order_release);
    second_ready.notify_one();
    const unsigned asked = receive(second);
    message(second, first, asked + 1);
    io_uring_queue_exit(&second);
  });
  second_ready.wait(false, std::memory_order_acquire);
  message(first, second, 0);
  const unsigned far = receive(first);
  std::printf("hello from shard 0 of 2\n");
  partner.join();
  io_uring_queue_exit(&first);
  return far == 1 ? 0 : 1;
}

#endif  // PERCORE_HELLO_FLOOR
