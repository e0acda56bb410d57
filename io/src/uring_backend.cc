// io_uring backend: set-up with flag fallback, batched submission, one kernel entry per turn.
#include "uring_backend.hh"

#include <sys/eventfd.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <system_error>

#include "operations.hh"

namespace percore::io {
namespace {

// user_data of requests whose completions nobody waits for (cancel requests).
constexpr __u64 ignored_completion = 0;

// Set-up flags from the best to the plainest. A kernel that refuses a flag answers EINVAL;
// each step drops what the previous one may have been refused for. SINGLE_ISSUER and
// DEFER_TASKRUN (6.1) let completions run in our own thread when we ask for them, COOP_TASKRUN
// and TASKRUN_FLAG (5.19) avoid interrupting us and tell us when entering would find work.
constexpr std::array<unsigned, 5> setup_attempts{
    IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG |
        IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
    IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG |
        IORING_SETUP_SINGLE_ISSUER,
    IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG,
    IORING_SETUP_SUBMIT_ALL,
    0,
};

std::string flag_names(unsigned flags) {
  std::string names;
  auto add = [&](unsigned flag, const char* name) {
    if (!(flags & flag)) return;
    if (!names.empty()) names += '|';
    names += name;
  };
  add(IORING_SETUP_SINGLE_ISSUER, "SINGLE_ISSUER");
  add(IORING_SETUP_DEFER_TASKRUN, "DEFER_TASKRUN");
  add(IORING_SETUP_COOP_TASKRUN, "COOP_TASKRUN");
  add(IORING_SETUP_TASKRUN_FLAG, "TASKRUN_FLAG");
  add(IORING_SETUP_SUBMIT_ALL, "SUBMIT_ALL");
  add(IORING_SETUP_CQSIZE, "CQSIZE");
  return names.empty() ? "none" : names;
}

void wake_read_completed(request&) noexcept {}

}  // namespace

uring_backend::uring_backend(const backend_options& options) {
  int error = -EINVAL;
  for (unsigned flags : setup_attempts) {
    io_uring_params params{};
    params.flags = flags | IORING_SETUP_CQSIZE;
    // Twice the submission size: a burst of multishot or linked completions cannot overflow.
    params.cq_entries = options.ring_entries * 2;
    error = io_uring_queue_init_params(options.ring_entries, &ring_, &params);
    if (error == 0) {
      setup_flags_ = params.flags;
      poll_first_ = (params.flags & IORING_SETUP_DEFER_TASKRUN) != 0;
      break;
    }
    if (error != -EINVAL) break;
  }
  if (error != 0) throw std::system_error(-error, std::system_category(), "io_uring_setup");

  // A registered ring fd spares the kernel an fget/fput on every io_uring_enter.
  registered_ring_fd_ = io_uring_register_ring_fd(&ring_) == 1;

  // Blocking work (buffered file I/O the kernel cannot do async) goes to io-wq; without a cap a
  // burst of it spawns a thread per request.
  std::array<unsigned, 2> max_workers{4, 4};
  io_uring_register_iowq_max_workers(&ring_, max_workers.data());

  wake_fd_ = ::eventfd(0, EFD_CLOEXEC);
  if (wake_fd_ < 0) {
    const int saved = errno;
    io_uring_queue_exit(&ring_);
    throw std::system_error(saved, std::system_category(), "eventfd");
  }
  wake_read_.op = opcode::read;
  wake_read_.fd = wake_fd_;
  wake_read_.buffer = &wake_counter_;
  wake_read_.length = sizeof wake_counter_;
  wake_read_.complete = wake_read_completed;
  arm_wake_read();
}

uring_backend::~uring_backend() {
  buffer_groups_.clear();
  io_uring_queue_exit(&ring_);
  ::close(wake_fd_);
}

std::string uring_backend::describe() const {
  return "io_uring (flags " + flag_names(setup_flags_) + ", sq " +
         std::to_string(ring_.sq.ring_entries) + ", cq " + std::to_string(ring_.cq.ring_entries) +
         (registered_ring_fd_ ? ", registered ring fd)" : ")");
}

io_uring_sqe* uring_backend::next_sqe_after_submit() {
  io_uring_sqe* sqe = nullptr;
  while (sqe == nullptr) {
    // The submission ring is full: hand the batch to the kernel now and take a fresh slot.
    const int submitted = io_uring_submit(&ring_);
    if (submitted < 0 && submitted != -EAGAIN && submitted != -EBUSY) {
      throw std::system_error(-submitted, std::system_category(), "io_uring_submit");
    }
    if (submitted <= 0) reap();
    sqe = io_uring_get_sqe(&ring_);
  }
  return sqe;
}

void uring_backend::arm_wake_read() {
  io_uring_sqe* sqe = next_sqe();
  detail::prepare_uring(wake_read_, sqe);
  io_uring_sqe_set_data(sqe, &wake_read_);
}

bool uring_backend::submit(request& r) {
  if (detail::is_zero_copy(r.op)) {
    if (zero_copy_.kernel_supports(r.op)) {
      zero_copy_.started(r);
    } else {
      r.op = detail::copying_form(r.op);
    }
  }
  prepare(r);
  return false;
}

void uring_backend::cancel(request& r) {
  if (detail::is_zero_copy(r.op) && !zero_copy_.cancel(r)) return;
  io_uring_sqe* sqe = next_sqe();
  io_uring_prep_cancel64(sqe, reinterpret_cast<__u64>(&r), 0);
  io_uring_sqe_set_data64(sqe, ignored_completion);
}

void uring_backend::cancel_all() {
  if (in_flight_ == 0) return;
  zero_copy_.cancel_all();
  // This also cancels the wake read; its completion comes back through reap(), which re-arms it.
  io_uring_sqe* sqe = next_sqe();
  io_uring_prep_cancel64(sqe, 0, IORING_ASYNC_CANCEL_ANY);
  io_uring_sqe_set_data64(sqe, ignored_completion);
}

bool uring_backend::kernel_has_work_for_us() const noexcept {
  if (io_uring_sq_ready(&ring_) > 0) return true;
  if (setup_flags_ & IORING_SETUP_TASKRUN_FLAG) {
    // The kernel raises this flag when completions wait for us to enter and collect them.
    return (IO_URING_READ_ONCE(*ring_.sq.kflags) & (IORING_SQ_TASKRUN | IORING_SQ_CQ_OVERFLOW));
  }
  return in_flight_ > 0;
}

std::size_t uring_backend::poll(std::optional<std::chrono::nanoseconds> timeout) {
  if (timeout && timeout->count() <= 0) {
    if (kernel_has_work_for_us()) {
      const int result = io_uring_submit_and_get_events(&ring_);
      if (result < 0 && result != -EINTR && result != -EAGAIN && result != -EBUSY) {
        throw std::system_error(-result, std::system_category(), "io_uring_enter");
      }
    }
    return reap();
  }
  // Completions left by the last reap (it delivers a batch at a time): deliver those first, and
  // submit what is prepared with the next wait.
  if (io_uring_cq_ready(&ring_) > 0) return reap();
  int result;
  if (timeout) {
    __kernel_timespec wait_for{};
    wait_for.tv_sec = timeout->count() / 1'000'000'000;
    wait_for.tv_nsec = timeout->count() % 1'000'000'000;
    io_uring_cqe* first = nullptr;
    result = io_uring_submit_and_wait_timeout(&ring_, &first, 1, &wait_for, nullptr);
  } else {
    // The plain form is the shortest path through liburing for the common "sleep until work".
    result = io_uring_submit_and_wait(&ring_, 1);
  }
  if (result < 0 && result != -ETIME && result != -EINTR && result != -EAGAIN &&
      result != -EBUSY) {
    throw std::system_error(-result, std::system_category(), "io_uring_enter");
  }
  return reap();
}

std::size_t uring_backend::reap() {
  std::size_t delivered = 0;
  bool rearm_wake = false;
  io_uring_cq& cq = ring_.cq;
  // The tail is read (with acquire, for the entries behind it) once per batch, not per entry.
  for (unsigned tail = io_uring_smp_load_acquire(cq.ktail);
       *cq.khead != tail && delivered < delivery_batch;
       tail = io_uring_smp_load_acquire(cq.ktail)) {
    // A completion function that submits may reap (when the submission ring is full) past
    // this batch's tail: hence "ahead of head", not "not equal".
    for (unsigned head = *cq.khead; static_cast<int>(tail - head) > 0 && delivered < delivery_batch;
         head = *cq.khead) {
      // Plain 16-byte entries: the ring is never set up with CQE32.
      const io_uring_cqe& cqe = cq.cqes[head & cq.ring_mask];
      if (static_cast<int>(tail - head) > prefetch_distance) {
        // Each completion's request lies in its task's frame, which with many connections is
        // far from the cache by now: ask for it a few completions early, while those run.
        const io_uring_cqe& later = cq.cqes[(head + prefetch_distance) & cq.ring_mask];
        const auto* ahead = reinterpret_cast<const char*>(later.user_data);
        __builtin_prefetch(ahead);
        __builtin_prefetch(ahead + cache_line);
      }
      auto* r = reinterpret_cast<request*>(cqe.user_data);
      const std::int32_t res = cqe.res;
      const std::uint32_t flags = cqe.flags;
      // Consumed before it is dispatched: a completion function that reaps never sees this
      // entry again.
      io_uring_smp_store_release(cq.khead, head + 1);
      if (r == nullptr) continue;
      if (r == &wake_read_) {
        rearm_wake = true;
        continue;
      }
      if (detail::is_zero_copy(r->op)) {
        const auto step = zero_copy_.completed(*r, res, flags);
        if (step == detail::uring_zero_copy::next_step::wait) continue;
        if (step == detail::uring_zero_copy::next_step::send_a_copy) {
          // The same request again, as a copy: still one in flight, counted again by prepare().
          --in_flight_;
          r->op = detail::copying_form(r->op);
          prepare(*r);
          continue;
        }
      } else {
        r->result = res;
        // A multishot request stays in flight until its completion without F_MORE.
        r->more = (flags & IORING_CQE_F_MORE) != 0;
        if (flags & IORING_CQE_F_BUFFER) [[unlikely]] {
          r->buffer_id = static_cast<std::uint16_t>(flags >> IORING_CQE_BUFFER_SHIFT);
          r->buffers->note_handed_out();
        }
      }
      if (!r->more) --in_flight_;
      ++delivered;
      r->complete(*r);
    }
  }
  if (rearm_wake) arm_wake_read();
  return delivered;
}

void uring_backend::wake_peer(backend& peer) {
  if (peer.kind() != backend_kind::io_uring) return peer.wake();
  auto& target = static_cast<uring_backend&>(peer);
  io_uring_sqe* sqe = next_sqe();
  // The target sees a completion with user_data 0 (ignored) that ends its wait; we want no
  // completion of our own for it.
  io_uring_prep_msg_ring(sqe, target.ring_.ring_fd, 0, ignored_completion, 0);
  io_uring_sqe_set_data64(sqe, ignored_completion);
  sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
  // Now, not at the end of the turn: the peer is asleep and every microsecond is latency.
  io_uring_submit(&ring_);
}

provided_buffers& uring_backend::create_buffer_group(std::uint16_t count, std::uint32_t size) {
  const auto group = static_cast<std::uint16_t>(buffer_groups_.size());
  buffer_groups_.push_back(std::make_unique<detail::uring_buffers>(ring_, group, count, size));
  return *buffer_groups_.back();
}

void uring_backend::wake() {
  const std::uint64_t one = 1;
  // A failed write means the counter is already non-zero: a wake is pending anyway.
  [[maybe_unused]] auto written = ::write(wake_fd_, &one, sizeof one);
}

}  // namespace percore::io
