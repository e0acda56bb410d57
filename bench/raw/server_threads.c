/* server_threads: starts the loops of a raw echo floor on SO_REUSEPORT listeners, one pinned
 * thread each, and stops them through an eventfd each when SIGINT or SIGTERM arrives. */
#define _GNU_SOURCE
#include "server_threads.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "raw_flags.h"

struct server_start {
  pthread_barrier_t ready;
  atomic_int failed;
};

struct loop_thread {
  pthread_t thread;
  int cpu;
  server_loop loop;
  int status;
  struct server_thread context;
};

void server_thread_ready(struct server_thread *thread, bool ready) {
  if (!ready) atomic_store(&thread->start->failed, 1);
  pthread_barrier_wait(&thread->start->ready);
}

/* Binds 127.0.0.1:port (0: any free port) with SO_REUSEPORT, so that every loop has its own
 * listener and the kernel spreads connections over them. */
static int open_listener(const char *program, int port, bool nonblocking) {
  const int listener =
      socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0), 0);
  const int on = 1;
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (listener < 0 || setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0 ||
      setsockopt(listener, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) != 0 ||
      bind(listener, (struct sockaddr *)&address, sizeof address) != 0 ||
      listen(listener, 4096) != 0) {
    fprintf(stderr, "%s: cannot listen on 127.0.0.1:%d: %s\n", program, port, strerror(errno));
    exit(1);
  }
  return listener;
}

static int bound_port(int listener) {
  struct sockaddr_in address;
  socklen_t length = sizeof address;
  getsockname(listener, (struct sockaddr *)&address, &length);
  return ntohs(address.sin_port);
}

/* Lets the floors hold as many connections as the hard limit allows, as percore's tests do. */
static int raise_descriptor_limit(void) {
  struct rlimit limit;
  getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);
  getrlimit(RLIMIT_NOFILE, &limit);
  return limit.rlim_cur > (1 << 20) ? (1 << 20) : (int)limit.rlim_cur;
}

static void *run_loop(void *argument) {
  struct loop_thread *self = argument;
  cpu_set_t cpus;
  CPU_ZERO(&cpus);
  CPU_SET(self->cpu, &cpus);
  pthread_setaffinity_np(pthread_self(), sizeof cpus, &cpus);
  self->status = self->loop(&self->context);
  return NULL;
}

int run_server(const char *program, int argc, char **argv, bool nonblocking_listeners,
               server_loop loop) {
  long threads = 1;
  long port = 7000;
  const struct raw_flag flags[] = {{"--threads", &threads, 1, CPU_SETSIZE},
                                   {"--port", &port, 0, 65535}};
  parse_raw_flags(program, argc, argv, flags, 2);

  cpu_set_t allowed;
  sched_getaffinity(0, sizeof allowed, &allowed);
  int cpu_list[CPU_SETSIZE];
  int cpu_count = 0;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &allowed)) cpu_list[cpu_count++] = cpu;
  }

  /* The loops inherit the blocked signals; only sigwait below receives them. */
  sigset_t stopping;
  sigemptyset(&stopping);
  sigaddset(&stopping, SIGINT);
  sigaddset(&stopping, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stopping, NULL);
  signal(SIGPIPE, SIG_IGN);

  const int descriptor_limit = raise_descriptor_limit();
  struct server_start start;
  pthread_barrier_init(&start.ready, NULL, (unsigned)threads + 1);
  atomic_init(&start.failed, 0);
  struct loop_thread *loops = calloc((size_t)threads, sizeof *loops);
  for (long index = 0; index < threads; ++index) {
    const int listener = open_listener(program, (int)port, nonblocking_listeners);
    if (port == 0) port = bound_port(listener);
    const int stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (stop_fd < 0) {
      fprintf(stderr, "%s: eventfd: %s\n", program, strerror(errno));
      return 1;
    }
    loops[index].cpu = cpu_list[index % cpu_count];
    loops[index].loop = loop;
    loops[index].context = (struct server_thread){.index = (int)index,
                                                  .listener = listener,
                                                  .stop_fd = stop_fd,
                                                  .descriptor_limit = descriptor_limit,
                                                  .start = &start};
    pthread_create(&loops[index].thread, NULL, run_loop, &loops[index]);
  }

  pthread_barrier_wait(&start.ready);
  const bool ready = atomic_load(&start.failed) == 0;
  if (ready) {
    fprintf(stderr, "listening on 127.0.0.1:%ld\n", port);
    int signal_number = 0;
    sigwait(&stopping, &signal_number);
  }

  int status = ready ? 0 : 1;
  for (long index = 0; index < threads; ++index) {
    const uint64_t one = 1;
    if (write(loops[index].context.stop_fd, &one, sizeof one) != sizeof one) status = 1;
  }
  for (long index = 0; index < threads; ++index) {
    pthread_join(loops[index].thread, NULL);
    if (loops[index].status != 0) status = 1;
    close(loops[index].context.stop_fd);
  }
  pthread_barrier_destroy(&start.ready);
  free(loops);
  return status;
}
