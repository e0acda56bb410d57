/* server_threads: what the raw echo floors share: --threads N --port P, one SO_REUSEPORT
 * listener and one pinned thread per loop, the "listening on" line, and a clean stop. */
#ifndef PERCORE_SERVER_THREADS_H
#define PERCORE_SERVER_THREADS_H

#include <stdbool.h>

struct server_start;

/* What one loop thread gets. Its loop owns `listener` and every connection it accepts. */
struct server_thread {
  int index;
  /* Bound to 127.0.0.1 and listening; non-blocking when the server asked for it. */
  int listener;
  /* An eventfd that becomes readable when the server is asked to stop. */
  int stop_fd;
  /* Descriptors are below this: the size of a table indexed by descriptor. */
  int descriptor_limit;
  struct server_start *start;
};

/* A loop: sets itself up, calls server_thread_ready() once (false if its setup failed), serves
 * until stop_fd is readable, closes what it opened and returns 0 (non-zero on failure). */
typedef int (*server_loop)(struct server_thread *thread);

void server_thread_ready(struct server_thread *thread, bool ready);

/* Parses --threads N (default 1) and --port P (default 7000; 0 picks a free port), opens the
 * listeners, starts one thread per listener pinned to the process's CPUs in turn, prints
 * "listening on 127.0.0.1:PORT" on stderr once every loop is ready, and on SIGINT or SIGTERM
 * stops the loops and joins them. Returns the exit status. */
int run_server(const char *program, int argc, char **argv, bool nonblocking_listeners,
               server_loop loop);

#endif
