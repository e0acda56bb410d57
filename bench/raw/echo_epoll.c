/* echo_epoll: the raw epoll floor of the echo benchmark: per pinned thread one epoll loop on
 * its non-blocking SO_REUSEPORT listener, reading each message and writing it straight back.
 *
 * usage: echo_epoll [--threads N] [--port P] */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "echo_connections.h"
#include "server_threads.h"

enum { events_per_wait = 1024 };

struct echo_loop {
  int epoll;
  struct echo_connections connections;
  int listener;
  int stop_fd;
};

static bool watch(struct echo_loop *loop, int operation, int fd, uint32_t events) {
  struct epoll_event event = {.events = events, .data.fd = fd};
  return epoll_ctl(loop->epoll, operation, fd, &event) == 0;
}

static void accept_all(struct echo_loop *loop) {
  for (;;) {
    const int fd = accept4(loop->listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    struct echo_connection *connection = echo_connection_open(&loop->connections, fd);
    if (connection && !watch(loop, EPOLL_CTL_ADD, fd, EPOLLIN)) {
      echo_connection_close(&loop->connections, connection);
    }
  }
}

/* Sends what is left of the last message; false when the connection has failed. A full socket
 * buffer switches the connection to waiting for EPOLLOUT until the rest is out. */
static bool send_rest(struct echo_loop *loop, struct echo_connection *connection,
                      bool waiting_to_write) {
  while (connection->sent < connection->length) {
    const ssize_t sent = send(connection->fd, connection->buffer + connection->sent,
                              connection->length - connection->sent, MSG_NOSIGNAL);
    if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return waiting_to_write || watch(loop, EPOLL_CTL_MOD, connection->fd, EPOLLOUT);
    }
    if (sent <= 0) return false;
    connection->sent += (size_t)sent;
  }
  return !waiting_to_write || watch(loop, EPOLL_CTL_MOD, connection->fd, EPOLLIN);
}

static void on_event(struct echo_loop *loop, const struct epoll_event *event) {
  struct echo_connection *connection = echo_connection_find(&loop->connections, event->data.fd);
  if (!connection) return;
  bool alive;
  if (connection->sent < connection->length) {
    alive = send_rest(loop, connection, true);
  } else {
    const ssize_t received = recv(connection->fd, connection->buffer, sizeof connection->buffer, 0);
    if (received < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    alive = received > 0;
    if (alive) {
      connection->length = (size_t)received;
      connection->sent = 0;
      alive = send_rest(loop, connection, false);
    }
  }
  if (!alive) echo_connection_close(&loop->connections, connection);
}

static int serve(struct server_thread *thread) {
  struct echo_loop loop = {.epoll = epoll_create1(EPOLL_CLOEXEC),
                           .listener = thread->listener,
                           .stop_fd = thread->stop_fd};
  if (loop.epoll < 0 || !echo_connections_init(&loop.connections, thread->descriptor_limit) ||
      !watch(&loop, EPOLL_CTL_ADD, loop.listener, EPOLLIN) ||
      !watch(&loop, EPOLL_CTL_ADD, loop.stop_fd, EPOLLIN)) {
    fprintf(stderr, "echo_epoll: cannot set up the loop: %s\n", strerror(errno));
    server_thread_ready(thread, false);
    close(thread->listener);
    return 1;
  }
  server_thread_ready(thread, true);

  struct epoll_event events[events_per_wait];
  int status = 0;
  bool stopping = false;
  while (!stopping) {
    const int ready = epoll_wait(loop.epoll, events, events_per_wait, -1);
    if (ready < 0 && errno != EINTR) {
      fprintf(stderr, "echo_epoll: epoll_wait: %s\n", strerror(errno));
      status = 1;
      break;
    }
    for (int index = 0; index < ready; ++index) {
      if (events[index].data.fd == loop.stop_fd) {
        stopping = true;
      } else if (events[index].data.fd == loop.listener) {
        accept_all(&loop);
      } else {
        on_event(&loop, &events[index]);
      }
    }
  }
  echo_connections_destroy(&loop.connections);
  close(loop.epoll);
  close(thread->listener);
  return status;
}

int main(int argc, char **argv) { return run_server("echo_epoll", argc, argv, true, serve); }
