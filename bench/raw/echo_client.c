/* echo_client: a plain C closed-loop echo client on epoll, to check the echo servers: each
 * connection sends a message, waits for all of it to come back (and checks it), and repeats.
 *
 * usage: echo_client [--connections N] [--duration S] [--message-size B] [--port P] [--threads T]
 * Prints "requests/s R (N requests in S s, C connections, B-byte messages)" on stdout. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "raw_flags.h"

enum { events_per_wait = 1024, largest_message = 16384 };

struct client_connection {
  int fd;
  size_t sent;
  size_t received;
  /* Waiting for EPOLLOUT: the socket buffer was full in the middle of a message. */
  bool waiting_to_write;
};

struct client_thread {
  pthread_t thread;
  long connections;
  uint64_t requests;
  double finished_at;
};

static long message_size = 64;
static long port = 7000;
static long duration_seconds = 10;
static pthread_barrier_t connected;

static double now_seconds(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

static void fail(const char *what) {
  fprintf(stderr, "echo_client: %s: %s\n", what, strerror(errno));
  exit(1);
}

static int connect_to_server(void) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const int on = 1;
  if (fd < 0 || connect(fd, (struct sockaddr *)&address, sizeof address) != 0) {
    fail("cannot connect to 127.0.0.1");
  }
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  return fd;
}

/* Sends the rest of the message. Only a full socket buffer changes what epoll watches (EPOLLOUT
 * until the message is out), so a request costs no epoll_ctl. */
static void send_rest(int epoll, struct client_connection *connection, const char *message) {
  while (connection->sent < (size_t)message_size) {
    const ssize_t sent = send(connection->fd, message + connection->sent,
                              (size_t)message_size - connection->sent, MSG_NOSIGNAL);
    if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!connection->waiting_to_write) {
        struct epoll_event event = {.events = EPOLLOUT, .data.ptr = connection};
        if (epoll_ctl(epoll, EPOLL_CTL_MOD, connection->fd, &event) != 0) fail("epoll_ctl");
        connection->waiting_to_write = true;
      }
      return;
    }
    if (sent <= 0) fail("send");
    connection->sent += (size_t)sent;
  }
  if (connection->waiting_to_write) {
    struct epoll_event event = {.events = EPOLLIN, .data.ptr = connection};
    if (epoll_ctl(epoll, EPOLL_CTL_MOD, connection->fd, &event) != 0) fail("epoll_ctl");
    connection->waiting_to_write = false;
  }
}

/* Reads what has come back; true when the whole message is in. */
static bool receive(struct client_connection *connection, const char *message, char *buffer) {
  const ssize_t received = recv(connection->fd, buffer, (size_t)message_size - connection->received, 0);
  if (received < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return false;
  if (received == 0) {
    fprintf(stderr, "echo_client: the server closed a connection\n");
    exit(1);
  }
  if (received < 0) fail("recv");
  if (memcmp(buffer, message + connection->received, (size_t)received) != 0) {
    fprintf(stderr, "echo_client: the server sent back other bytes than it was sent\n");
    exit(1);
  }
  connection->received += (size_t)received;
  return connection->received == (size_t)message_size;
}

static void *drive(void *argument) {
  struct client_thread *self = argument;
  char message[largest_message];
  char buffer[largest_message];
  for (long index = 0; index < message_size; ++index) message[index] = (char)('a' + index % 26);
  const int epoll = epoll_create1(EPOLL_CLOEXEC);
  struct client_connection *connections = calloc((size_t)self->connections, sizeof *connections);
  if (epoll < 0 || !connections) fail("setting up a client thread");
  for (long index = 0; index < self->connections; ++index) {
    connections[index].fd = connect_to_server();
    struct epoll_event event = {.events = EPOLLIN, .data.ptr = &connections[index]};
    if (epoll_ctl(epoll, EPOLL_CTL_ADD, connections[index].fd, &event) != 0) fail("epoll_ctl");
  }
  pthread_barrier_wait(&connected);

  const double deadline = now_seconds() + (double)duration_seconds;
  for (long index = 0; index < self->connections; ++index) send_rest(epoll, &connections[index], message);
  struct epoll_event events[events_per_wait];
  for (double now = now_seconds(); now < deadline; now = now_seconds()) {
    const int ready = epoll_wait(epoll, events, events_per_wait, (int)((deadline - now) * 1000) + 1);
    if (ready < 0 && errno != EINTR) fail("epoll_wait");
    for (int index = 0; index < ready; ++index) {
      struct client_connection *connection = events[index].data.ptr;
      if (connection->sent < (size_t)message_size) {
        send_rest(epoll, connection, message);
      } else if (receive(connection, message, buffer)) {
        ++self->requests;
        connection->sent = 0;
        connection->received = 0;
        send_rest(epoll, connection, message);
      }
    }
  }
  self->finished_at = now_seconds();
  for (long index = 0; index < self->connections; ++index) close(connections[index].fd);
  free(connections);
  close(epoll);
  return NULL;
}

int main(int argc, char **argv) {
  long connections = 100;
  long threads = 1;
  const struct raw_flag flags[] = {{"--connections", &connections, 1, 1000000},
                                   {"--duration", &duration_seconds, 1, 86400},
                                   {"--message-size", &message_size, 1, largest_message},
                                   {"--port", &port, 1, 65535},
                                   {"--threads", &threads, 1, 1024}};
  parse_raw_flags("echo_client", argc, argv, flags, 5);
  if (threads > connections) threads = connections;

  struct rlimit limit;
  getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);

  struct client_thread *clients = calloc((size_t)threads, sizeof *clients);
  pthread_barrier_init(&connected, NULL, (unsigned)threads + 1);
  for (long index = 0; index < threads; ++index) {
    clients[index].connections = connections / threads + (index < connections % threads ? 1 : 0);
    pthread_create(&clients[index].thread, NULL, drive, &clients[index]);
  }
  pthread_barrier_wait(&connected);
  const double started_at = now_seconds();
  uint64_t requests = 0;
  double finished_at = started_at;
  for (long index = 0; index < threads; ++index) {
    pthread_join(clients[index].thread, NULL);
    requests += clients[index].requests;
    if (clients[index].finished_at > finished_at) finished_at = clients[index].finished_at;
  }
  const double elapsed = finished_at - started_at;
  printf("requests/s %.1f (%llu requests in %.2f s, %ld connections, %ld-byte messages)\n",
         (double)requests / elapsed, (unsigned long long)requests, elapsed, connections,
         message_size);
  pthread_barrier_destroy(&connected);
  free(clients);
  return 0;
}
