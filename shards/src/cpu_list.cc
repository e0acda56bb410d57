// cpulist parsing and printing; every parse error names the whole text, what is wrong in it
// and the expected form, because the text usually comes straight from a command line.
#include <percore/shards/cpu_list.hh>

#include <algorithm>
#include <stdexcept>

namespace percore {
namespace {

constexpr std::string_view expected_form =
    "expected CPU numbers and ranges separated by commas, such as 0-3,8,10-11";

[[noreturn]] void reject(std::string_view text, const std::string& problem) {
  throw std::invalid_argument("percore: invalid CPU list \"" + std::string(text) + "\": " +
                              problem + "; " + std::string(expected_form));
}

[[noreturn]] void reject_character(std::string_view text, std::size_t position) {
  reject(text, std::string("unexpected '") + text[position] + "' at offset " +
                   std::to_string(position));
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Reads the number starting at `position` (which advances past it) from an entry of `text`.
unsigned read_cpu_number(std::string_view text, std::size_t& position) {
  if (position == text.size() || !is_digit(text[position])) {
    if (position == text.size() || text[position] == ',' || text[position] == '-') {
      reject(text, "a CPU number is missing at offset " + std::to_string(position));
    }
    reject_character(text, position);
  }
  const std::size_t start = position;
  unsigned long number = 0;
  while (position < text.size() && is_digit(text[position])) {
    number = number * 10 + static_cast<unsigned>(text[position] - '0');
    if (number > max_cpu_number) {
      while (position < text.size() && is_digit(text[position])) ++position;
      reject(text, "CPU " + std::string(text.substr(start, position - start)) +
                       " is above the largest CPU number " + std::to_string(max_cpu_number));
    }
    ++position;
  }
  return static_cast<unsigned>(number);
}

}  // namespace

std::vector<unsigned> parse_cpu_list(std::string_view text) {
  if (text.empty()) reject(text, "it is empty");
  std::vector<unsigned> cpus;
  std::size_t position = 0;
  for (;;) {
    if (position == text.size() || text[position] == ',') {
      reject(text, "an entry is empty at offset " + std::to_string(position));
    }
    const unsigned first = read_cpu_number(text, position);
    unsigned last = first;
    if (position < text.size() && text[position] == '-') {
      ++position;
      last = read_cpu_number(text, position);
      if (last < first) {
        reject(text, "the range " + std::to_string(first) + "-" + std::to_string(last) +
                         " runs backwards");
      }
    }
    for (unsigned cpu = first; cpu <= last; ++cpu) cpus.push_back(cpu);
    if (position == text.size()) break;
    if (text[position] != ',') reject_character(text, position);
    ++position;
  }
  std::sort(cpus.begin(), cpus.end());
  cpus.erase(std::unique(cpus.begin(), cpus.end()), cpus.end());
  return cpus;
}

std::string format_cpu_list(std::span<const unsigned> cpus) {
  std::vector<unsigned> sorted(cpus.begin(), cpus.end());
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  std::string text;
  for (std::size_t run_start = 0; run_start < sorted.size();) {
    std::size_t run_end = run_start + 1;
    while (run_end < sorted.size() && sorted[run_end] == sorted[run_end - 1] + 1) ++run_end;
    if (!text.empty()) text += ',';
    text += std::to_string(sorted[run_start]);
    if (run_end - run_start > 1) text += '-' + std::to_string(sorted[run_end - 1]);
    run_start = run_end;
  }
  return text;
}

}  // namespace percore
