// percore's multi-shard layer in one include: launch, submit_to and friends, sharded services,
// foreign pointers, placement.
#pragma once

#include <percore/percore.hh>
#include <percore/shards/foreign_ptr.hh>
#include <percore/shards/launch.hh>
#include <percore/shards/placement.hh>
#include <percore/shards/shard_channel.hh>
#include <percore/shards/shard_id.hh>
#include <percore/shards/sharded.hh>
#include <percore/shards/submit_to.hh>
