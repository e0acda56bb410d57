/* raw_flags: the command-line flags of the raw C floors, "--name N" or "--name=N", each bad
 * value named in one line on stderr with what is accepted, then exit status 2. */
#ifndef PERCORE_RAW_FLAGS_H
#define PERCORE_RAW_FLAGS_H

/* One flag a program accepts: its name ("--port"), where its value goes, and its range. */
struct raw_flag {
  const char *name;
  long *value;
  long lowest;
  long highest;
};

/* Parses argv against `flags` (`count` of them); `program` prefixes every message. Exits with
 * status 2 on an unknown flag, a missing value or a value out of range. */
void parse_raw_flags(const char *program, int argc, char **argv, const struct raw_flag *flags,
                     int count);

#endif
