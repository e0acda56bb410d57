// Built outside the tree against the installed library (pkg-config --cflags --libs percore):
// proves the installed headers and library are complete and usable on their own.
#include <cstdio>

#include <percore/percore.hh>

int main() {
  percore::engine engine;
  const int value = engine.run([]() -> percore::task<int> {
    auto ends = percore::make_pipe().value();
    const char sent = 'p';
    (co_await percore::write(ends[1], std::as_bytes(std::span(&sent, 1)))).value();
    char received = 0;
    (co_await percore::read(ends[0], std::as_writable_bytes(std::span(&received, 1)))).value();
    co_await percore::sleep_for(std::chrono::milliseconds(1));
    for (int fd : ends) (co_await percore::close(fd)).value();
    co_return received == sent ? 0 : 1;
  });
  std::printf("installed percore works (%s)\n", engine.backend().describe().c_str());
  return value;
}
