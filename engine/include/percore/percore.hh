// percore: everything a program needs from the engine layer, in one include.
#pragma once

#include <percore/engine/engine.hh>
#include <percore/engine/event.hh>
#include <percore/engine/executor.hh>
#include <percore/engine/operations.hh>
#include <percore/engine/spawn.hh>
#include <percore/engine/task.hh>
#include <percore/engine/timer.hh>
#include <percore/engine/with_timeout.hh>
#include <percore/io/backend.hh>
#include <percore/io/result.hh>
