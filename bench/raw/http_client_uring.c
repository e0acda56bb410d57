/* http_client_uring: the raw liburing floor of an HTTP load client, beside percore-load and wrk:
 * per connection a GET, then a multishot receive into a buffer ring that counts bytes; no parser.
 *
 * usage: http_client_uring [--connections N] [--duration S] [--warmup S] [--port P]
 * The first answer's head gives the answer's size (its Content-Length, which it must have), and
 * every answer is taken to be that size: a server whose answers all have one size (percore-httpd's
 * "Hello, World!"), nothing else. Prints "requests/s R" (over the S seconds after the warm-up)
 * and "requests N" on stdout. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>

#include "raw_flags.h"
#include "raw_ring.h"

enum { buffer_count = 4096, buffer_size = 2048, buffer_group = 0 };
enum { submission_entries = 4096, completion_entries = 16384 };
enum operation { operation_send, operation_receive };

static long connections = 256;
static long duration_seconds = 10;
static long warmup_seconds = 1;
static long port = 8080;

static char request[128];
static size_t request_length;
/* 0 until the first answer's head has been read. */
static size_t answer_size;

static double now_seconds(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

static void fail(const char *what, int error) {
  fprintf(stderr, "http_client_uring: %s: %s\n", what, strerror(error));
  exit(1);
}

static uint64_t tag(long connection, enum operation operation) {
  return ((uint64_t)connection << 1) | (uint64_t)operation;
}

static struct io_uring_sqe *next_entry(struct io_uring *ring) {
  struct io_uring_sqe *entry = io_uring_get_sqe(ring);
  while (!entry) {
    io_uring_submit(ring);
    entry = io_uring_get_sqe(ring);
  }
  return entry;
}

/* A send completes only if it fails: MSG_WAITALL makes a short send a failure too. */
static void send_request(struct io_uring *ring, int fd, long connection) {
  struct io_uring_sqe *entry = next_entry(ring);
  io_uring_prep_send(entry, fd, request, request_length, MSG_NOSIGNAL | MSG_WAITALL);
  entry->flags |= IOSQE_CQE_SKIP_SUCCESS;
  io_uring_sqe_set_data64(entry, tag(connection, operation_send));
}

static void arm_receive(struct io_uring *ring, int fd, long connection) {
  struct io_uring_sqe *entry = next_entry(ring);
  io_uring_prep_recv_multishot(entry, fd, NULL, 0, 0);
  entry->flags |= IOSQE_BUFFER_SELECT;
  entry->buf_group = buffer_group;
  io_uring_sqe_set_data64(entry, tag(connection, operation_receive));
}

/* The answer's size from its head: head length plus Content-Length. */
static size_t size_from_head(const char *bytes, size_t length) {
  const char *end = memmem(bytes, length, "\r\n\r\n", 4);
  if (!end) return 0;
  for (const char *line = bytes; line < end;) {
    const char *next = memmem(line, (size_t)(end - line), "\r\n", 2);
    if (!next) next = end;
    static const char name[] = "content-length:";
    if ((size_t)(next - line) > sizeof name - 1 && strncasecmp(line, name, sizeof name - 1) == 0) {
      return (size_t)(end + 4 - bytes) + strtoul(line + sizeof name - 1, NULL, 10);
    }
    line = next + 2;
  }
  return 0;
}

static int connect_to_server(void) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) fail("socket", errno);
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&address, sizeof address) < 0) fail("connect", errno);
  /* As percore-load: each request is one small write that must leave at once. */
  const int on = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  return fd;
}

int main(int argc, char **argv) {
  const struct raw_flag flags[] = {
      {"--connections", &connections, 1, 60000},
      {"--duration", &duration_seconds, 1, 3600},
      {"--warmup", &warmup_seconds, 0, 3600},
      {"--port", &port, 1, 65535},
  };
  parse_raw_flags("http_client_uring", argc, argv, flags, sizeof flags / sizeof flags[0]);
  request_length = (size_t)snprintf(request, sizeof request,
                                    "GET / HTTP/1.1\r\nHost: 127.0.0.1:%ld\r\n\r\n", port);

  struct io_uring ring;
  const int setup = setup_raw_ring(&ring, submission_entries, completion_entries);
  if (setup < 0) fail("io_uring setup", -setup);
  /* By hand: Debian's liburing 2.3 has no io_uring_setup_buf_ring. */
  const size_t ring_bytes = buffer_count * sizeof(struct io_uring_buf);
  struct io_uring_buf_ring *buffers =
      mmap(NULL, ring_bytes, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
  if (buffers == MAP_FAILED) fail("mmap", errno);
  io_uring_buf_ring_init(buffers);
  struct io_uring_buf_reg registration = {.ring_addr = (uint64_t)(uintptr_t)buffers,
                                          .ring_entries = buffer_count,
                                          .bgid = buffer_group};
  const int registered = io_uring_register_buf_ring(&ring, &registration, 0);
  if (registered < 0) fail("io_uring_register_buf_ring", -registered);
  char *memory = malloc((size_t)buffer_count * buffer_size);
  if (!memory) fail("buffers", ENOMEM);
  const int mask = io_uring_buf_ring_mask(buffer_count);
  for (int index = 0; index < buffer_count; ++index) {
    io_uring_buf_ring_add(buffers, memory + (size_t)index * buffer_size, buffer_size,
                          (unsigned short)index, mask, index);
  }
  io_uring_buf_ring_advance(buffers, buffer_count);

  int *fds = malloc((size_t)connections * sizeof *fds);
  size_t *received = calloc((size_t)connections, sizeof *received);
  if (!fds || !received) fail("connections", ENOMEM);
  for (long connection = 0; connection < connections; ++connection) {
    fds[connection] = connect_to_server();
    arm_receive(&ring, fds[connection], connection);
    send_request(&ring, fds[connection], connection);
  }

  const double started = now_seconds();
  const double window_begins = started + (double)warmup_seconds;
  const double window_ends = window_begins + (double)duration_seconds;
  uint64_t answered = 0, answered_before_window = 0;
  bool in_window = warmup_seconds == 0;
  for (;;) {
    const int waited = io_uring_submit_and_wait(&ring, 1);
    if (waited < 0 && waited != -EINTR) fail("io_uring_submit_and_wait", -waited);
    struct io_uring_cqe *completion;
    unsigned head, seen = 0, returned = 0;
    io_uring_for_each_cqe(&ring, head, completion) {
      ++seen;
      const long connection = (long)(completion->user_data >> 1);
      const int result = completion->res;
      if ((completion->user_data & 1) == operation_send) fail("send", result < 0 ? -result : EIO);
      if (result <= 0) fail("receive", result < 0 ? -result : ECONNRESET);
      const unsigned short id = (unsigned short)(completion->flags >> IORING_CQE_BUFFER_SHIFT);
      const char *bytes = memory + (size_t)id * buffer_size;
      if (answer_size == 0 && (answer_size = size_from_head(bytes, (size_t)result)) == 0) {
        fprintf(stderr, "http_client_uring: the first answer has no Content-Length in its first "
                        "%d bytes\n", result);
        return 1;
      }
      io_uring_buf_ring_add(buffers, (void *)bytes, buffer_size, id, mask, (int)returned++);
      received[connection] += (size_t)result;
      if (received[connection] >= answer_size) {
        received[connection] -= answer_size;
        ++answered;
        send_request(&ring, fds[connection], connection);
      }
      if (!(completion->flags & IORING_CQE_F_MORE)) arm_receive(&ring, fds[connection], connection);
    }
    io_uring_buf_ring_advance(buffers, (int)returned);
    io_uring_cq_advance(&ring, seen);
    const double now = now_seconds();
    if (!in_window && now >= window_begins) {
      in_window = true;
      answered_before_window = answered;
    }
    if (now >= window_ends) {
      const uint64_t requests = answered - answered_before_window;
      printf("requests/s %.1f\nrequests %llu\n", (double)requests / (now - window_begins),
             (unsigned long long)requests);
      return 0;
    }
  }
}
