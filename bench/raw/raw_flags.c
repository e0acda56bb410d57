/* raw_flags: parses "--name N" and "--name=N" into longs within their ranges; the floors need
 * nothing more, and their errors read like percore's. */
#include "raw_flags.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void list_flags(const struct raw_flag *flags, int count) {
  for (int index = 0; index < count; ++index) {
    fprintf(stderr, "%s%s N", index == 0 ? "" : ", ", flags[index].name);
  }
}

void parse_raw_flags(const char *program, int argc, char **argv, const struct raw_flag *flags,
                     int count) {
  for (int index = 1; index < argc; ++index) {
    const char *word = argv[index];
    const char *equals = strchr(word, '=');
    const size_t name_length = equals ? (size_t)(equals - word) : strlen(word);
    const struct raw_flag *flag = NULL;
    for (int candidate = 0; candidate < count; ++candidate) {
      if (strlen(flags[candidate].name) == name_length &&
          strncmp(flags[candidate].name, word, name_length) == 0) {
        flag = &flags[candidate];
      }
    }
    if (!flag) {
      fprintf(stderr, "%s: unknown flag '%s' (accepted: ", program, word);
      list_flags(flags, count);
      fprintf(stderr, ")\n");
      exit(2);
    }
    const char *text = equals ? equals + 1 : NULL;
    if (!text) {
      if (index + 1 >= argc) {
        fprintf(stderr, "%s: %s needs a value\n", program, flag->name);
        exit(2);
      }
      text = argv[++index];
    }
    char *end = NULL;
    errno = 0;
    const long value = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || value < flag->lowest ||
        value > flag->highest) {
      fprintf(stderr, "%s: %s '%s' is invalid (accepted: a number from %ld to %ld)\n", program,
              flag->name, text, flag->lowest, flag->highest);
      exit(2);
    }
    *flag->value = value;
  }
}
