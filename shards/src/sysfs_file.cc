// Reading sysfs text files: open, read until end of file, close; lists parsed as cpulists.
// Missing files are values (kernels differ in what they have), unreadable ones are errors.
#include "sysfs_file.hh"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <system_error>

#include <percore/shards/cpu_list.hh>

namespace percore::sysfs {

std::optional<std::string> read_file(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT || errno == ENOTDIR) return std::nullopt;
    throw std::system_error(errno, std::generic_category(), "percore: cannot open " + path.string());
  }
  // Lists of CPUs and nodes: a few bytes on small machines, a few hundred on the largest.
  // sysfs hands over a whole file in one read, so a read that leaves room is the last one.
  std::string text(4096, '\0');
  std::size_t length = 0;
  for (;;) {
    const ssize_t count = ::read(fd, text.data() + length, text.size() - length);
    if (count < 0) {
      if (errno == EINTR) continue;
      const int error = errno;
      ::close(fd);
      throw std::system_error(error, std::generic_category(),
                              "percore: cannot read " + path.string());
    }
    length += static_cast<std::size_t>(count);
    if (length < text.size()) break;
    text.resize(text.size() * 2);
  }
  ::close(fd);
  text.resize(length);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

std::optional<std::vector<unsigned>> read_list(const std::filesystem::path& path) {
  std::optional<std::string> text = read_file(path);
  if (!text) return std::nullopt;
  if (text->empty()) return std::vector<unsigned>{};
  try {
    return parse_cpu_list(*text);
  } catch (const std::invalid_argument& error) {
    throw std::system_error(EINVAL, std::generic_category(),
                            "percore: " + path.string() + " is not a list: " + error.what());
  }
}

}  // namespace percore::sysfs
