/* echo_uring: the raw liburing floor of the echo benchmark: per pinned thread one ring, a
 * multishot accept on its SO_REUSEPORT listener, and on each connection a recv, then a send back.
 *
 * usage: echo_uring [--threads N] [--port P] */
#define _GNU_SOURCE
#include <errno.h>
#include <liburing.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "echo_connections.h"
#include "raw_ring.h"
#include "server_threads.h"

enum operation { operation_accept, operation_recv, operation_send, operation_stop,
                 operation_cancel };

/* Enough room that a whole turn's worth of new requests rarely needs an extra submit. */
enum { submission_entries = 4096, completion_entries = 16384 };

struct echo_loop {
  struct io_uring ring;
  struct echo_connections connections;
  int listener;
  /* Requests whose last completion has not come yet; the loop ends when stopping drains it. */
  unsigned in_flight;
  bool stopping;
};

static uint64_t tag(int fd, enum operation operation) {
  return ((uint64_t)(uint32_t)fd << 8) | (uint64_t)operation;
}

/* A full submission queue is flushed to the kernel rather than waited on. */
static struct io_uring_sqe *next_entry(struct echo_loop *loop, int fd,
                                       enum operation operation) {
  struct io_uring_sqe *entry = io_uring_get_sqe(&loop->ring);
  while (!entry) {
    io_uring_submit(&loop->ring);
    entry = io_uring_get_sqe(&loop->ring);
  }
  ++loop->in_flight;
  io_uring_sqe_set_data64(entry, tag(fd, operation));
  return entry;
}

static void arm_accept(struct echo_loop *loop) {
  io_uring_prep_multishot_accept(next_entry(loop, loop->listener, operation_accept),
                                 loop->listener, NULL, NULL, SOCK_CLOEXEC);
}

static void arm_recv(struct echo_loop *loop, struct echo_connection *connection) {
  io_uring_prep_recv(next_entry(loop, connection->fd, operation_recv), connection->fd,
                     connection->buffer, sizeof connection->buffer, 0);
}

static void arm_send(struct echo_loop *loop, struct echo_connection *connection) {
  io_uring_prep_send(next_entry(loop, connection->fd, operation_send), connection->fd,
                     connection->buffer + connection->sent,
                     connection->length - connection->sent, MSG_NOSIGNAL);
}

static void on_completion(struct echo_loop *loop, const struct io_uring_cqe *completion) {
  const enum operation operation = (enum operation)(completion->user_data & 0xff);
  const int fd = (int)(completion->user_data >> 8);
  const int result = completion->res;
  if (operation != operation_accept || !(completion->flags & IORING_CQE_F_MORE)) --loop->in_flight;

  if (operation == operation_accept) {
    if (result >= 0) {
      struct echo_connection *connection = echo_connection_open(&loop->connections, result);
      if (connection && !loop->stopping) arm_recv(loop, connection);
    }
    if (!(completion->flags & IORING_CQE_F_MORE) && !loop->stopping) arm_accept(loop);
    return;
  }
  if (operation == operation_stop) {
    /* Cancel everything in flight, so that no buffer is freed while the kernel may fill it. */
    loop->stopping = true;
    io_uring_prep_cancel64(next_entry(loop, -1, operation_cancel), 0, IORING_ASYNC_CANCEL_ANY);
    return;
  }
  struct echo_connection *connection = echo_connection_find(&loop->connections, fd);
  if (operation == operation_cancel || !connection) return;
  if (result <= 0 || loop->stopping) {
    echo_connection_close(&loop->connections, connection);
  } else if (operation == operation_recv) {
    connection->length = (size_t)result;
    connection->sent = 0;
    arm_send(loop, connection);
  } else {
    connection->sent += (size_t)result;
    if (connection->sent < connection->length) {
      arm_send(loop, connection);
    } else {
      arm_recv(loop, connection);
    }
  }
}

static int serve(struct server_thread *thread) {
  struct echo_loop loop = {.listener = thread->listener};
  const int setup = setup_raw_ring(&loop.ring, submission_entries, completion_entries);
  if (setup < 0 || !echo_connections_init(&loop.connections, thread->descriptor_limit)) {
    fprintf(stderr, "echo_uring: cannot set up a ring: %s\n", strerror(setup < 0 ? -setup : ENOMEM));
    server_thread_ready(thread, false);
    close(thread->listener);
    return 1;
  }
  arm_accept(&loop);
  io_uring_prep_poll_add(next_entry(&loop, thread->stop_fd, operation_stop), thread->stop_fd,
                         POLLIN);
  server_thread_ready(thread, true);

  int status = 0;
  while (!loop.stopping || loop.in_flight > 0) {
    /* One kernel entry per turn submits everything prepared and waits for a completion. */
    const int entered = io_uring_submit_and_wait(&loop.ring, 1);
    if (entered < 0 && entered != -EINTR && entered != -EAGAIN && entered != -EBUSY) {
      fprintf(stderr, "echo_uring: io_uring_submit_and_wait: %s\n", strerror(-entered));
      status = 1;
      break;
    }
    unsigned head;
    unsigned seen = 0;
    struct io_uring_cqe *completion;
    io_uring_for_each_cqe(&loop.ring, head, completion) {
      on_completion(&loop, completion);
      ++seen;
    }
    io_uring_cq_advance(&loop.ring, seen);
  }
  /* The ring goes first: after it, the kernel holds no buffer of a connection. */
  io_uring_queue_exit(&loop.ring);
  echo_connections_destroy(&loop.connections);
  close(thread->listener);
  return status;
}

int main(int argc, char **argv) { return run_server("echo_uring", argc, argv, false, serve); }
