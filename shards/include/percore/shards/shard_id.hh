// Which shard the calling code runs on, and how many there are: the identity every cross-shard
// call starts from. Calling these off a shard thread is a clear error.
#pragma once

namespace percore {

// The index of the shard running the caller (0 .. shard_count() - 1); throws std::logic_error
// on a thread that is not a shard.
unsigned this_shard_id();

// The number of shards of the running launch; throws std::logic_error off a shard thread.
unsigned shard_count();

}  // namespace percore
