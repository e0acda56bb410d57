/* echo_connections: one loop's open connections, found by descriptor, each with the buffer a
 * message is read into and sent back from. */
#ifndef PERCORE_ECHO_CONNECTIONS_H
#define PERCORE_ECHO_CONNECTIONS_H

#include <stdbool.h>
#include <stddef.h>

enum { echo_buffer_size = 16384 };

struct echo_connection {
  int fd;
  /* Bytes of the last read, and how many of them are sent back already. */
  size_t length;
  size_t sent;
  char buffer[echo_buffer_size];
};

struct echo_connections {
  struct echo_connection **by_descriptor;
  int limit;
  int highest;
};

bool echo_connections_init(struct echo_connections *connections, int descriptor_limit);
/* Takes `fd` (sets TCP_NODELAY: echo messages are small and answered at once); NULL, with
 * the descriptor closed, when memory runs out. */
struct echo_connection *echo_connection_open(struct echo_connections *connections, int fd);
struct echo_connection *echo_connection_find(const struct echo_connections *connections, int fd);
void echo_connection_close(struct echo_connections *connections,
                           struct echo_connection *connection);
/* Closes every connection still open and frees the table. */
void echo_connections_destroy(struct echo_connections *connections);

#endif
