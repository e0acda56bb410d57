/* raw_ring: the io_uring set-up the raw C floors share: the fastest flags this kernel accepts,
 * as percore's own backend picks them. */
#ifndef PERCORE_RAW_RING_H
#define PERCORE_RAW_RING_H

#include <liburing.h>

/* One issuer with task work run only when this thread enters the kernel, else cooperative task
 * work, else plain; `completion_entries` completion slots. Returns 0 or -errno. */
int setup_raw_ring(struct io_uring *ring, unsigned submission_entries,
                   unsigned completion_entries);

#endif
