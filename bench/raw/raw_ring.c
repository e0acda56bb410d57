/* raw_ring: tries the set-up flags from the fastest down until the kernel accepts a set. */
#include "raw_ring.h"

#include <errno.h>
#include <stddef.h>

int setup_raw_ring(struct io_uring *ring, unsigned submission_entries,
                   unsigned completion_entries) {
  const unsigned flag_sets[] = {IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
                                IORING_SETUP_COOP_TASKRUN, 0};
  int result = -EINVAL;
  for (size_t index = 0; index < sizeof flag_sets / sizeof flag_sets[0]; ++index) {
    struct io_uring_params params = {.flags = flag_sets[index] | IORING_SETUP_CQSIZE,
                                     .cq_entries = completion_entries};
    result = io_uring_queue_init_params(submission_entries, ring, &params);
    if (result != -EINVAL) return result;
  }
  return result;
}
