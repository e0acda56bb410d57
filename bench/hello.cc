// hello: the smallest percore program (one engine, one task that prints and returns), used by
// scripts/bench to compare start-up time and binary size with the peers' hello programs.
#include <cstdio>

#include <percore/percore.hh>

int main() {
  percore::engine shard;
  shard.run([&shard]() -> percore::task<void> {
    // stdio, not iostream: iostream's static initialisation costs start-up time and size.
    std::printf("hello from percore (%s)\n", shard.backend().describe().c_str());
    co_return;
  });
  return 0;
}
