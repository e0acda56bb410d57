// Test support: run a coroutine on a fresh engine of a given backend, and name backends in
// parameterized test output.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include <percore/percore.hh>

namespace percore::testing {

inline engine_config config_for(io::backend_kind kind) {
  engine_config config;
  config.backend = kind;
  return config;
}

// Runs `main` (a callable returning task<R>) on a new engine of `kind`; returns its value.
template <class Main>
auto run_on(io::backend_kind kind, Main main) {
  engine runner(config_for(kind));
  return runner.run(std::move(main));
}

inline std::string backend_name(const ::testing::TestParamInfo<io::backend_kind>& info) {
  return std::string(io::to_string(info.param));
}

// Parameterized over every backend this build and kernel offer.
class on_every_backend : public ::testing::TestWithParam<io::backend_kind> {
 protected:
  template <class Main>
  auto run(Main main) {
    return run_on(GetParam(), std::move(main));
  }
};

#define PERCORE_ON_EVERY_BACKEND(suite)                                                     \
  INSTANTIATE_TEST_SUITE_P(backends, suite,                                                 \
                           ::testing::ValuesIn(::percore::io::available_backends()),        \
                           ::percore::testing::backend_name)

}  // namespace percore::testing
