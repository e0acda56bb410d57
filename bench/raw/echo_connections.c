/* echo_connections: a table indexed by descriptor (descriptors are small and dense), so that a
 * completion or an event finds its connection without a search. */
#include "echo_connections.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

bool echo_connections_init(struct echo_connections *connections, int descriptor_limit) {
  connections->by_descriptor = calloc((size_t)descriptor_limit, sizeof *connections->by_descriptor);
  connections->limit = descriptor_limit;
  connections->highest = -1;
  return connections->by_descriptor != NULL;
}

struct echo_connection *echo_connection_open(struct echo_connections *connections, int fd) {
  struct echo_connection *connection = fd < connections->limit ? malloc(sizeof *connection) : NULL;
  if (!connection) {
    close(fd);
    return NULL;
  }
  const int on = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  connection->fd = fd;
  connection->length = 0;
  connection->sent = 0;
  connections->by_descriptor[fd] = connection;
  if (fd > connections->highest) connections->highest = fd;
  return connection;
}

struct echo_connection *echo_connection_find(const struct echo_connections *connections, int fd) {
  return fd >= 0 && fd < connections->limit ? connections->by_descriptor[fd] : NULL;
}

void echo_connection_close(struct echo_connections *connections,
                           struct echo_connection *connection) {
  connections->by_descriptor[connection->fd] = NULL;
  close(connection->fd);
  free(connection);
}

void echo_connections_destroy(struct echo_connections *connections) {
  for (int fd = 0; fd <= connections->highest; ++fd) {
    if (connections->by_descriptor[fd]) {
      echo_connection_close(connections, connections->by_descriptor[fd]);
    }
  }
  free(connections->by_descriptor);
}
