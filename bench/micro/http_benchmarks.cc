// Micro-benchmarks of the HTTP/1.1 protocol core on the TechEmpower plaintext exchange: parsing
// its request, writing its response, and both for a pipelined batch of 16, as the test sends.
#include <benchmark/benchmark.h>
#include <sys/uio.h>

#include <coroutine>
#include <string>
#include <string_view>

#include <percore/percore.hh>
#include <percore/net/http/body_decoder.hh>
#include <percore/net/http/request_parser.hh>
#include <percore/net/http/response_writer.hh>
#include <percore/net/http/router.hh>
#include <percore/net/output_stream.hh>

namespace {

namespace http = percore::net::http;

// The request of the TechEmpower plaintext test, headers as its load generator sends them.
constexpr std::string_view plaintext_request =
    "GET /plaintext HTTP/1.1\r\n"
    "Host: tfb-server\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64) Gecko/20130501 Firefox/30.0 "
    "AppleWebKit/600.00 Chrome/30.0.0000.0 Trident/10.0 Safari/600.00\r\n"
    "Cookie: uid=12345678901234567890; __utma=1.1234567890.1234567890.1234567890.1234567890.12;"
    " wd=2560x1600\r\n"
    "Accept: text/plain,text/html;q=0.9,application/xhtml+xml;q=0.9,application/xml;q=0.8,*/*;"
    "q=0.7\r\n"
    "Accept-Language: en-US,en;q=0.5\r\n"
    "Connection: keep-alive\r\n"
    "\r\n";
constexpr int pipeline_depth = 16;

// Takes every byte at once, so that the figures are the protocol's work and not the kernel's.
struct discarding_sink {
  struct taken {
    std::size_t count;
    bool await_ready() const noexcept { return true; }
    void await_suspend(std::coroutine_handle<>) const noexcept {}
    percore::result<std::size_t> await_resume() const noexcept { return count; }
  };
  taken write(std::span<const std::byte> bytes) noexcept { return {bytes.size()}; }
  taken writev(std::span<const iovec> parts) noexcept {
    std::size_t count = 0;
    for (const iovec& part : parts) count += part.iov_len;
    return {count};
  }
};

using handler = int;

http::router<handler> plaintext_routes() {
  http::router<handler> routes;
  routes.add("GET", "/plaintext", 1).add("GET", "/json", 2);
  return routes;
}

// One request: the head parsed, its route found, its (empty) body framing decoded.
void parse_plaintext_request(benchmark::State& state) {
  http::request_parser parser;
  http::body_decoder body;
  const http::router<handler> routes = plaintext_routes();
  for (auto _ : state) {
    const std::size_t head = parser.parse(plaintext_request).value();
    const http::route_match<handler> route = routes.find(parser.request());
    body.start(parser.request().body);
    benchmark::DoNotOptimize(head);
    benchmark::DoNotOptimize(route.handler);
    benchmark::DoNotOptimize(body.done());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<long>(plaintext_request.size()));
}
BENCHMARK(parse_plaintext_request);

// One response, "Hello, World!" with Content-Type, Date, Server and Content-Length, into an
// output_stream that is flushed (to the discarding sink) when nearly full.
void write_plaintext_response(benchmark::State& state) {
  percore::run({}, [&state]() -> percore::task<int> {
    discarding_sink sink;
    percore::net::output_stream out(sink, 64 * 1024);
    http::response_writer writer(out);
    const http::header fields[] = {{"Content-Type", "text/plain"}};
    const std::string_view body = "Hello, World!";
    for (auto _ : state) {
      percore::result<void> written = co_await writer.write(http::status::ok, fields, body);
      benchmark::DoNotOptimize(written);
      if (out.buffered() > 60 * 1024) (void)co_await out.flush();
    }
    co_return 0;
  });
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(write_plaintext_response);

// A pipelined batch as the plaintext test sends it: 16 requests in one buffer parsed, routed
// and answered, then one flush. Items are requests.
void pipelined_plaintext_exchange(benchmark::State& state) {
  std::string batch;
  for (int i = 0; i < pipeline_depth; ++i) batch += plaintext_request;
  percore::run({}, [&state, &batch]() -> percore::task<int> {
    http::request_parser parser;
    http::body_decoder body;
    const http::router<handler> routes = plaintext_routes();
    discarding_sink sink;
    percore::net::output_stream out(sink, 16 * 1024);
    http::response_writer writer(out);
    const http::header fields[] = {{"Content-Type", "text/plain"}};
    const std::string_view hello = "Hello, World!";
    for (auto _ : state) {
      std::string_view rest = batch;
      while (!rest.empty()) {
        const std::size_t head = parser.parse(rest).value();
        rest.remove_prefix(head);
        body.start(parser.request().body);
        const http::route_match<handler> route = routes.find(parser.request());
        const http::status code = route.handler != nullptr ? http::status::ok : route.outcome;
        (void)co_await writer.write(code, fields, hello);
      }
      (void)co_await out.flush();
    }
    co_return 0;
  });
  state.SetItemsProcessed(state.iterations() * pipeline_depth);
}
BENCHMARK(pipelined_plaintext_exchange);

}  // namespace

BENCHMARK_MAIN();
