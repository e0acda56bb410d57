// HTTP/1.1 protocol core: request and response parsing split at every byte, pipelining, chunked
// bodies, a malformed-request corpus with exact statuses, the response writer, the Date cache,
// the router, no allocation per request, and a request/response exchange over real sockets.
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <ostream>
#include <string>
#include <vector>

#include <percore/net/http/body_decoder.hh>
#include <percore/net/http/date_cache.hh>
#include <percore/net/http/parse_error.hh>
#include <percore/net/http/request_parser.hh>
#include <percore/net/http/response_parser.hh>
#include <percore/net/http/response_writer.hh>
#include <percore/net/http/router.hh>
#include <percore/net/input_stream.hh>
#include <percore/net/output_stream.hh>

#include "engine_fixture.hh"

namespace {
std::atomic<long> global_allocations{0};
}

// Counts what reaches the global allocator, for the steady-state test below. Not inlined, so
// that g++ does not see a pointer from operator new reach free().
[[gnu::noinline]] void* operator new(std::size_t size) {
  global_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* memory = std::malloc(size == 0 ? 1 : size)) return memory;
  throw std::bad_alloc();
}
[[gnu::noinline]] void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  global_allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(size == 0 ? 1 : size);
}
[[gnu::noinline]] void* operator new[](std::size_t size) { return operator new(size); }
[[gnu::noinline]] void* operator new[](std::size_t size, const std::nothrow_t& tag) noexcept {
  return operator new(size, tag);
}
[[gnu::noinline]] void operator delete(void* memory) noexcept { std::free(memory); }
[[gnu::noinline]] void operator delete(void* memory, std::size_t) noexcept { std::free(memory); }
[[gnu::noinline]] void operator delete[](void* memory) noexcept { std::free(memory); }
[[gnu::noinline]] void operator delete[](void* memory, std::size_t) noexcept { std::free(memory); }

namespace percore::net::http {
namespace {

using fields = std::vector<std::pair<std::string, std::string>>;

// A parsed message copied out of the buffer it was parsed in.
struct message {
  std::string method_or_code;
  std::string target_or_reason;
  int minor_version = 0;
  fields headers;
  body_kind framing = body_kind::none;
  bool keep_alive = false;
  bool expects_continue = false;
  std::string body;
  fields trailers;
  bool operator==(const message&) const = default;
};

std::ostream& operator<<(std::ostream& out, const message& m) {
  out << m.method_or_code << " " << m.target_or_reason << " HTTP/1." << m.minor_version
      << " framing=" << static_cast<int>(m.framing) << " keep_alive=" << m.keep_alive
      << " continue=" << m.expects_continue << " body=\"" << m.body << "\" [";
  for (const auto& [name, value] : m.headers) out << name << ": " << value << "; ";
  out << "] trailers [";
  for (const auto& [name, value] : m.trailers) out << name << ": " << value << "; ";
  return out << "]";
}

fields copy_of(std::span<const header> headers) {
  fields copied;
  for (const header& field : headers) copied.emplace_back(field.name, field.value);
  return copied;
}

struct request_side {
  request_parser parser;
  result<std::size_t> parse(std::string_view bytes) { return parser.parse(bytes); }
  body_framing framing() const { return parser.request().body; }
  message head() const {
    const request& r = parser.request();
    return {std::string(r.method), std::string(r.target), r.minor_version, copy_of(r.headers),
            r.body.kind, r.keep_alive, r.expects_continue, {}, {}};
  }
};

struct response_side {
  response_parser parser;
  std::string request_method;
  result<std::size_t> parse(std::string_view bytes) { return parser.parse(bytes, request_method); }
  body_framing framing() const { return parser.response().body; }
  message head() const {
    const response& r = parser.response();
    return {std::to_string(static_cast<unsigned>(r.code)), std::string(r.reason), r.minor_version,
            copy_of(r.headers), r.body.kind, r.keep_alive, false, {}, {}};
  }
};

// What a connection made of: the messages parsed in order, then an error or the end.
struct outcome {
  std::vector<message> messages;
  std::error_code error;
  bool ends_inside_a_head = false;
  bool operator==(const outcome&) const = default;
};

std::ostream& operator<<(std::ostream& out, const outcome& o) {
  for (const message& m : o.messages) out << "{" << m << "} ";
  return out << "error=" << o.error.message() << " inside_head=" << o.ends_inside_a_head;
}

// Feeds `text` to a head parser and a body decoder as a connection would: first `first` bytes,
// then `step` bytes at a time; the unconsumed bytes stay at the front of the buffer and views
// are copied out before the bytes they point to are consumed. The end of `text` is the end of
// the stream.
template <class Side>
outcome feed(Side side, std::string_view text, std::size_t first, std::size_t step,
             const limits& bounds = {}) {
  body_decoder decoder(bounds);
  outcome result;
  std::string pending;
  std::size_t fed = 0;
  bool in_body = false;
  message current;
  auto arrive = [&](std::size_t count) {
    count = std::min(count, text.size() - fed);
    pending.append(text.substr(fed, count));
    fed += count;
  };
  arrive(first);
  for (;;) {
    bool progressed = false;
    if (!in_body) {
      auto parsed = side.parse(pending);
      if (!parsed) {
        result.error = parsed.error();
        return result;
      }
      if (*parsed > 0) {
        current = side.head();
        pending.erase(0, *parsed);
        decoder.start(side.framing());
        in_body = true;
        progressed = true;
      }
    }
    if (in_body) {
      auto piece = decoder.decode(pending);
      if (!piece) {
        result.error = piece.error();
        return result;
      }
      current.body.append(reinterpret_cast<const char*>(piece->data.data()), piece->data.size());
      if (decoder.done()) current.trailers = copy_of(decoder.trailers());
      pending.erase(0, piece->consumed);
      if (decoder.done()) {
        result.messages.push_back(std::move(current));
        current = {};
        in_body = false;
      }
      progressed = progressed || piece->consumed > 0 || !in_body;
    }
    if (progressed) continue;
    if (fed < text.size()) {
      arrive(step);
      continue;
    }
    if (in_body) {
      auto ended = decoder.end_of_stream();
      if (!ended) {
        result.error = ended.error();
      } else {
        result.messages.push_back(std::move(current));
      }
    } else {
      result.ends_inside_a_head = !pending.empty();
    }
    return result;
  }
}

outcome feed_requests(std::string_view text, std::size_t first, std::size_t step,
                      const limits& bounds = {}) {
  return feed(request_side{request_parser(bounds)}, text, first, step, bounds);
}

outcome feed_responses(std::string_view text, std::string_view method, std::size_t first,
                       std::size_t step) {
  return feed(response_side{response_parser(), std::string(method)}, text, first, step);
}

// Every way to split `text` gives what parsing it whole gives: byte by byte, and cut in two at
// each position.
void expect_same_however_split(std::string_view text, const outcome& whole,
                               const limits& bounds = {}) {
  EXPECT_EQ(feed_requests(text, 1, 1, bounds), whole) << "byte by byte";
  for (std::size_t cut = 0; cut <= text.size(); ++cut) {
    ASSERT_EQ(feed_requests(text, cut, text.size(), bounds), whole) << "cut at " << cut;
  }
}

// --- Requests ---------------------------------------------------------------------------

TEST(request_parser, parses_a_request_head_into_views_of_the_buffer) {
  const std::string text =
      "GET /plaintext?x=1 HTTP/1.1\r\nHost: localhost:8080\r\nAccept:  text/plain \r\n"
      "Connection: keep-alive\r\n\r\n";
  request_parser parser;
  result<std::size_t> parsed = parser.parse(text);
  ASSERT_EQ(parsed.value(), text.size());
  const request& r = parser.request();
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.target, "/plaintext?x=1");
  EXPECT_EQ(r.path(), "/plaintext");
  EXPECT_EQ(r.query(), "x=1");
  EXPECT_EQ(r.minor_version, 1);
  ASSERT_EQ(r.headers.size(), 3u);
  EXPECT_EQ(r.headers[1].name, "Accept");
  EXPECT_EQ(r.headers[1].value, "text/plain");  // optional whitespace trimmed
  EXPECT_EQ(r.find_header("HOST").value_or(""), "localhost:8080");
  EXPECT_FALSE(r.find_header("Cookie").has_value());
  EXPECT_EQ(r.body.kind, body_kind::none);
  EXPECT_TRUE(r.keep_alive);
  EXPECT_FALSE(r.expects_continue);
  // Zero-copy: the views point into the bytes given to parse().
  EXPECT_EQ(r.method.data(), text.data());
  EXPECT_EQ(r.headers[0].value.data(), text.data() + text.find("localhost"));
}

TEST(request_parser, says_it_needs_more_until_the_empty_line_arrives) {
  const std::string text = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
  request_parser parser;
  for (std::size_t length = 0; length < text.size(); ++length) {
    ASSERT_EQ(parser.parse(std::string_view(text).substr(0, length)).value(), 0u) << length;
  }
  EXPECT_EQ(parser.parse(text).value(), text.size());
}

TEST(request_parser, valid_requests_parse_the_same_split_at_every_byte) {
  const std::vector<std::string> requests = {
      "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
      "GET /plaintext HTTP/1.1\r\nHost: tfb-server\r\nAccept: text/plain,text/html;q=0.9,"
      "application/xhtml+xml;q=0.9,application/xml;q=0.8,*/*;q=0.7\r\nConnection: keep-alive\r\n"
      "\r\n",
      "POST /submit HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello world",
      "PUT /f HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5;name=value;q=\"a \\\"quoted\\\" b\"\r\nhello\r\n6 ; ext\r\n world\r\n"
      "0\r\nChecksum: 1234\r\nX-Trailer: yes\r\n\r\n",
      "\r\n\r\nOPTIONS * HTTP/1.0\r\n\r\n",
      "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
      "GET http://example.com/a/b?c HTTP/1.1\r\nHost: example.com\r\nX-Empty:\r\n"
      "X-Obs-Text: caf\xc3\xa9\r\n\r\n",
  };
  for (const std::string& text : requests) {
    SCOPED_TRACE(text);
    const outcome whole = feed_requests(text, text.size(), text.size());
    ASSERT_EQ(whole.messages.size(), 1u);
    EXPECT_FALSE(whole.error);
    EXPECT_FALSE(whole.ends_inside_a_head);
    expect_same_however_split(text, whole);
  }
}

TEST(request_parser, chunked_body_with_extensions_and_trailers) {
  const std::string text =
      "POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip;q=1, chunked\r\n\r\n";
  EXPECT_EQ(feed_requests(text, text.size(), 1).error, parse_errc::unsupported_transfer_coding);

  const std::string chunked =
      "POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n"
      "4;a;b=c ; d = \"e;f\"\r\nWiki\r\n"
      "0000000000000000000005\r\npedia\r\n"
      "E\r\n in\r\n\r\nchunks.\r\n"
      "0;last\r\nExpires: never\r\nX-Sum:  77 \r\n\r\n";
  const outcome whole = feed_requests(chunked, chunked.size(), 1);
  ASSERT_EQ(whole.messages.size(), 1u) << whole;
  const message& m = whole.messages[0];
  EXPECT_EQ(m.framing, body_kind::chunked);
  EXPECT_EQ(m.body, "Wikipedia in\r\n\r\nchunks.");
  EXPECT_EQ(m.trailers, (fields{{"Expires", "never"}, {"X-Sum", "77"}}));
  expect_same_however_split(chunked, whole);
}

TEST(request_parser, pipelined_requests_in_one_buffer) {
  const std::string text =
      "GET /1 HTTP/1.1\r\nHost: a\r\n\r\n"
      "POST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc"
      "POST /3 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nde\r\n0\r\n\r\n"
      "GET /4 HTTP/1.0\r\n\r\n";
  const outcome whole = feed_requests(text, text.size(), text.size());
  ASSERT_EQ(whole.messages.size(), 4u) << whole;
  EXPECT_EQ(whole.messages[0].target_or_reason, "/1");
  EXPECT_EQ(whole.messages[1].body, "abc");
  EXPECT_EQ(whole.messages[2].body, "de");
  EXPECT_EQ(whole.messages[3].target_or_reason, "/4");
  EXPECT_FALSE(whole.messages[3].keep_alive);
  expect_same_however_split(text, whole);

  // The same by hand: the parser's lengths walk the buffer without copying.
  request_parser parser;
  body_decoder body;
  std::string_view rest = text;
  std::vector<std::string_view> targets;
  while (!rest.empty()) {
    const std::size_t head = parser.parse(rest).value();
    ASSERT_GT(head, 0u);
    targets.push_back(parser.request().target);
    rest.remove_prefix(head);
    body.start(parser.request().body);
    while (!body.done()) rest.remove_prefix(body.decode(rest).value().consumed);
    EXPECT_EQ(body.received(), parser.request().target == "/2" ? 3u
                               : parser.request().target == "/3" ? 2u : 0u);
  }
  EXPECT_EQ(targets, (std::vector<std::string_view>{"/1", "/2", "/3", "/4"}));
}

TEST(request_parser, keep_alive_follows_the_version_and_connection) {
  struct expectation {
    std::string head;
    bool keep_alive;
  };
  const std::vector<expectation> cases = {
      {"GET / HTTP/1.1\r\nHost: a\r\n\r\n", true},
      {"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", false},
      {"GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, CLOSE\r\n\r\n", false},
      {"GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\n\r\n", true},
      {"GET / HTTP/1.0\r\n\r\n", false},
      {"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", true},
      {"GET / HTTP/1.0\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n", false},
  };
  for (const expectation& c : cases) {
    request_parser parser;
    ASSERT_EQ(parser.parse(c.head).value(), c.head.size()) << c.head;
    EXPECT_EQ(parser.request().keep_alive, c.keep_alive) << c.head;
  }
}

TEST(request_parser, expect_100_continue_is_detected_in_http_1_1_only) {
  struct expectation {
    std::string head;
    bool expects_continue;
  };
  const std::vector<expectation> cases = {
      {"POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n", true},
      {"POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 5\r\n\r\n", true},
      {"POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n", false},
      {"POST / HTTP/1.1\r\nHost: a\r\nExpect: something-else\r\n\r\n", false},
      {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n", false},
  };
  for (const expectation& c : cases) {
    request_parser parser;
    ASSERT_EQ(parser.parse(c.head).value(), c.head.size()) << c.head;
    EXPECT_EQ(parser.request().expects_continue, c.expects_continue) << c.head;
  }
}

TEST(request_parser, framing_names_match_in_any_case_and_only_exactly) {
  request_parser parser;
  const std::string mixed =
      "POST / HTTP/1.1\r\nhOsT: a\r\nCONTENT-LENGTH: 5\r\nconnection: close\r\n"
      "ExPeCt: 100-continue\r\n\r\n";
  ASSERT_EQ(parser.parse(mixed).value(), mixed.size());
  EXPECT_EQ(parser.request().body.kind, body_kind::length);
  EXPECT_EQ(parser.request().body.length, 5u);
  EXPECT_FALSE(parser.request().keep_alive);
  EXPECT_TRUE(parser.request().expects_continue);
  const std::string chunked = "POST / HTTP/1.1\r\nHost: a\r\ntransfer-ENCODING: chunked\r\n\r\n";
  ASSERT_EQ(parser.parse(chunked).value(), chunked.size());
  EXPECT_EQ(parser.request().body.kind, body_kind::chunked);
  // Same length, one byte off: '_' for '-', '~' for '^' (the case bit set or not).
  const std::string near =
      "POST / HTTP/1.1\r\nHost: a\r\nContent_Length: 5\r\nHos~: b\r\nHOS^: c\r\n\r\n";
  ASSERT_EQ(parser.parse(near).value(), near.size());
  EXPECT_EQ(parser.request().body.kind, body_kind::none);
}

TEST(request_parser, paths_of_every_target_form) {
  request r;
  r.target = "/a/b?c=d?e";
  EXPECT_EQ(r.path(), "/a/b");
  EXPECT_EQ(r.query(), "c=d?e");
  r.target = "http://example.com:8080/x/y?z";
  EXPECT_EQ(r.path(), "/x/y");
  EXPECT_EQ(r.query(), "z");
  r.target = "http://example.com";
  EXPECT_EQ(r.path(), "/");
  r.target = "*";
  EXPECT_EQ(r.path(), "*");
  EXPECT_EQ(r.query(), "");
}

TEST(request_parser, limits_hold_exactly_at_their_bounds) {
  limits small;
  small.max_request_line = 32;
  small.max_header_bytes = 96;
  small.max_headers = 3;
  small.max_body = 10;
  auto status_of = [&small](const std::string& text) {
    const outcome o = feed_requests(text, text.size(), text.size(), small);
    return o.error ? status_for(o.error) : status::ok;
  };
  const std::string line_of_32 = "GET /" + std::string(18, 'a') + " HTTP/1.0";
  ASSERT_EQ(line_of_32.size(), 32u);
  EXPECT_EQ(status_of(line_of_32 + "\r\n\r\n"), status::ok);
  EXPECT_EQ(status_of("GET /" + std::string(19, 'a') + " HTTP/1.0\r\n\r\n"), status::uri_too_long);
  // A long request line is refused before it ends.
  EXPECT_EQ(status_of("GET /" + std::string(40, 'a')), status::uri_too_long);

  const std::string start = "GET / HTTP/1.1\r\nHost: a\r\n";  // 25 bytes
  const std::string head_of_96 = start + "X: " + std::string(64, 'v') + "\r\n\r\n";
  ASSERT_EQ(head_of_96.size(), 96u);
  EXPECT_EQ(status_of(head_of_96), status::ok);
  EXPECT_EQ(status_of(start + "X: " + std::string(65, 'v') + "\r\n\r\n"),
            status::request_header_fields_too_large);
  EXPECT_EQ(status_of(start + "X: " + std::string(200, 'v')), status::request_header_fields_too_large);

  EXPECT_EQ(status_of(start + "A: 1\r\nB: 2\r\n\r\n"), status::ok);
  EXPECT_EQ(status_of(start + "A: 1\r\nB: 2\r\nC: 3\r\n\r\n"), status::request_header_fields_too_large);

  EXPECT_EQ(status_of(start + "Content-Length: 10\r\n\r\n0123456789"), status::ok);
  EXPECT_EQ(status_of(start + "Content-Length: 11\r\n\r\n01234567890"), status::content_too_large);
  EXPECT_EQ(status_of(start + "Transfer-Encoding: chunked\r\n\r\n5\r\n01234\r\n5\r\n56789\r\n0\r\n\r\n"),
            status::ok);
  EXPECT_EQ(status_of(start + "Transfer-Encoding: chunked\r\n\r\n5\r\n01234\r\n6\r\n567890\r\n"),
            status::content_too_large);
}

// The malformed-request corpus: each is refused with exactly this error and status, whole and
// byte by byte.
struct malformed {
  const char* name;
  std::string text;
  parse_errc error;
  status answer;
};

std::ostream& operator<<(std::ostream& out, const malformed& m) { return out << m.name; }

class malformed_requests : public ::testing::TestWithParam<malformed> {};

TEST_P(malformed_requests, are_refused_with_the_right_status) {
  const malformed& m = GetParam();
  limits bounds;
  bounds.max_request_line = 64;
  bounds.max_header_bytes = 256;
  bounds.max_headers = 8;
  bounds.max_body = 100;
  bounds.max_chunk_line = 32;
  const outcome whole = feed_requests(m.text, m.text.size(), m.text.size(), bounds);
  EXPECT_EQ(whole.error, m.error) << whole;
  EXPECT_EQ(status_for(whole.error), m.answer);
  EXPECT_EQ(feed_requests(m.text, 1, 1, bounds), whole);
}

const std::string host = "Host: a\r\n";
const std::string chunked_head = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";

INSTANTIATE_TEST_SUITE_P(
    corpus, malformed_requests,
    ::testing::Values(
        // Request lines.
        malformed{"no_version", "GET /\r\n" + host + "\r\n", parse_errc::bad_request_line, status::bad_request},
        malformed{"no_target", "GET HTTP/1.1\r\n" + host + "\r\n", parse_errc::bad_request_line, status::bad_request},
        malformed{"double_space", "GET  / HTTP/1.1\r\n" + host + "\r\n", parse_errc::bad_request_line, status::bad_request},
        malformed{"trailing_space", "GET / HTTP/1.1 \r\n" + host + "\r\n", parse_errc::bad_request_line, status::bad_request},
        malformed{"leading_space", " GET / HTTP/1.1\r\n" + host + "\r\n", parse_errc::bad_request_line, status::bad_request},
        malformed{"tab_separator", "GET\t/ HTTP/1.1\r\n" + host + "\r\n", parse_errc::bad_request_line, status::bad_request},
        malformed{"method_not_a_token", "GE(T / HTTP/1.1\r\n" + host + "\r\n", parse_errc::bad_request_line, status::bad_request},
        malformed{"target_not_a_path", "GET index.html HTTP/1.1\r\n" + host + "\r\n", parse_errc::bad_request_line, status::bad_request},
        malformed{"control_in_target", "GET /a\x01z HTTP/1.1\r\n" + host + "\r\n", parse_errc::bad_request_line, status::bad_request},
        malformed{"lowercase_version", "GET / http/1.1\r\n" + host + "\r\n", parse_errc::bad_request_line, status::bad_request},
        malformed{"version_without_dot", "GET / HTTP/11\r\n" + host + "\r\n", parse_errc::bad_request_line, status::bad_request},
        malformed{"two_digit_version", "GET / HTTP/10.1\r\n" + host + "\r\n", parse_errc::bad_request_line, status::bad_request},
        malformed{"request_line_too_long", "GET /" + std::string(100, 'a') + " HTTP/1.1\r\n" + host + "\r\n", parse_errc::request_line_too_long, status::uri_too_long},
        malformed{"endless_request_line", "GET /" + std::string(100, 'a'), parse_errc::request_line_too_long, status::uri_too_long},
        // Versions.
        malformed{"http_2", "GET / HTTP/2.0\r\n" + host + "\r\n", parse_errc::unsupported_version, status::http_version_not_supported},
        malformed{"http_1_2", "GET / HTTP/1.2\r\n" + host + "\r\n", parse_errc::unsupported_version, status::http_version_not_supported},
        malformed{"http_0_9", "GET / HTTP/0.9\r\n\r\n", parse_errc::unsupported_version, status::http_version_not_supported},
        // Header syntax and size.
        malformed{"space_before_colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", parse_errc::bad_header, status::bad_request},
        malformed{"empty_name", "GET / HTTP/1.1\r\n" + host + ": v\r\n\r\n", parse_errc::bad_header, status::bad_request},
        malformed{"no_colon", "GET / HTTP/1.1\r\n" + host + "NoColon\r\n\r\n", parse_errc::bad_header, status::bad_request},
        malformed{"name_not_a_token", "GET / HTTP/1.1\r\n" + host + "Na[me: v\r\n\r\n", parse_errc::bad_header, status::bad_request},
        malformed{"headers_too_large", "GET / HTTP/1.1\r\n" + host + "X: " + std::string(300, 'v') + "\r\n\r\n", parse_errc::headers_too_large, status::request_header_fields_too_large},
        malformed{"endless_headers", "GET / HTTP/1.1\r\n" + host + "X: " + std::string(300, 'v'), parse_errc::headers_too_large, status::request_header_fields_too_large},
        malformed{"too_many_headers", "GET / HTTP/1.1\r\n" + host + "A: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\nE: 5\r\nF: 6\r\nG: 7\r\nH: 8\r\n\r\n", parse_errc::headers_too_large, status::request_header_fields_too_large},
        // Header injection.
        malformed{"bare_lf_line_endings", "GET / HTTP/1.1\nHost: a\n\n", parse_errc::bad_line_ending, status::bad_request},
        malformed{"bare_lf_in_headers", "GET / HTTP/1.1\r\nHost: a\nX-Injected: 1\r\n\r\n", parse_errc::bad_line_ending, status::bad_request},
        malformed{"bare_cr_in_value", "GET / HTTP/1.1\r\n" + host + "X: a\rX-Injected: 1\r\n\r\n", parse_errc::bad_line_ending, status::bad_request},
        malformed{"bare_cr_in_name", "GET / HTTP/1.1\r\n" + host + "X\r: a\r\n\r\n", parse_errc::bad_line_ending, status::bad_request},
        malformed{"bare_cr_in_request_line", "GET /\r HTTP/1.1\r\n" + host + "\r\n", parse_errc::bad_line_ending, status::bad_request},
        malformed{"obs_fold", "GET / HTTP/1.1\r\n" + host + "X: a\r\n b\r\n\r\n", parse_errc::obsolete_line_folding, status::bad_request},
        malformed{"obs_fold_tab", "GET / HTTP/1.1\r\n" + host + "X: a\r\n\tb\r\n\r\n", parse_errc::obsolete_line_folding, status::bad_request},
        malformed{"nul_in_value", "GET / HTTP/1.1\r\n" + host + std::string("X: a\0b\r\n\r\n", 10), parse_errc::control_character, status::bad_request},
        malformed{"escape_in_value", "GET / HTTP/1.1\r\n" + host + "X: a\x1b[31mb\r\n\r\n", parse_errc::control_character, status::bad_request},
        malformed{"delete_in_value", "GET / HTTP/1.1\r\n" + host + "X: a\x7f\r\n\r\n", parse_errc::control_character, status::bad_request},
        // Host.
        malformed{"no_host_in_1_1", "GET / HTTP/1.1\r\n\r\n", parse_errc::bad_host, status::bad_request},
        malformed{"two_hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", parse_errc::bad_host, status::bad_request},
        // Framing.
        malformed{"length_and_chunked", "POST / HTTP/1.1\r\n" + host + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", parse_errc::length_with_transfer_encoding, status::bad_request},
        malformed{"chunked_and_length", "POST / HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n", parse_errc::length_with_transfer_encoding, status::bad_request},
        malformed{"conflicting_lengths", "POST / HTTP/1.1\r\n" + host + "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello", parse_errc::bad_content_length, status::bad_request},
        malformed{"conflicting_length_list", "POST / HTTP/1.1\r\n" + host + "Content-Length: 5, 6\r\n\r\nhello", parse_errc::bad_content_length, status::bad_request},
        malformed{"negative_length", "POST / HTTP/1.1\r\n" + host + "Content-Length: -1\r\n\r\n", parse_errc::bad_content_length, status::bad_request},
        malformed{"signed_length", "POST / HTTP/1.1\r\n" + host + "Content-Length: +5\r\n\r\nhello", parse_errc::bad_content_length, status::bad_request},
        malformed{"hex_length", "POST / HTTP/1.1\r\n" + host + "Content-Length: 0x5\r\n\r\nhello", parse_errc::bad_content_length, status::bad_request},
        malformed{"empty_length", "POST / HTTP/1.1\r\n" + host + "Content-Length:\r\n\r\n", parse_errc::bad_content_length, status::bad_request},
        malformed{"length_with_space", "POST / HTTP/1.1\r\n" + host + "Content-Length: 1 2\r\n\r\n", parse_errc::bad_content_length, status::bad_request},
        malformed{"length_too_large", "POST / HTTP/1.1\r\n" + host + "Content-Length: 101\r\n\r\n", parse_errc::body_too_large, status::content_too_large},
        malformed{"length_overflowing", "POST / HTTP/1.1\r\n" + host + "Content-Length: 99999999999999999999999\r\n\r\n", parse_errc::body_too_large, status::content_too_large},
        malformed{"unknown_coding_only", "POST / HTTP/1.1\r\n" + host + "Transfer-Encoding: gzip\r\n\r\n", parse_errc::bad_transfer_encoding, status::bad_request},
        malformed{"unknown_coding_then_chunked", "POST / HTTP/1.1\r\n" + host + "Transfer-Encoding: gzip, chunked\r\n\r\n", parse_errc::unsupported_transfer_coding, status::not_implemented},
        malformed{"unknown_coding_on_its_own_line", "POST / HTTP/1.1\r\n" + host + "Transfer-Encoding: br\r\nTransfer-Encoding: chunked\r\n\r\n", parse_errc::unsupported_transfer_coding, status::not_implemented},
        malformed{"chunked_not_last", "POST / HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked, gzip\r\n\r\n", parse_errc::bad_transfer_encoding, status::bad_request},
        malformed{"chunked_twice", "POST / HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked, chunked\r\n\r\n", parse_errc::bad_transfer_encoding, status::bad_request},
        malformed{"chunked_with_parameter", "POST / HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked;x=1\r\n\r\n", parse_errc::bad_transfer_encoding, status::bad_request},
        malformed{"empty_transfer_encoding", "POST / HTTP/1.1\r\n" + host + "Transfer-Encoding: \r\n\r\n", parse_errc::bad_transfer_encoding, status::bad_request},
        malformed{"chunked_in_http_1_0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", parse_errc::bad_transfer_encoding, status::bad_request},
        // Chunks.
        malformed{"chunk_size_not_hex", chunked_head + "zz\r\n", parse_errc::bad_chunk, status::bad_request},
        malformed{"chunk_size_missing", chunked_head + "\r\nhello\r\n0\r\n\r\n", parse_errc::bad_chunk, status::bad_request},
        malformed{"chunk_size_negative", chunked_head + "-5\r\nhello\r\n0\r\n\r\n", parse_errc::bad_chunk, status::bad_request},
        malformed{"chunk_size_prefixed", chunked_head + "0x5\r\nhello\r\n0\r\n\r\n", parse_errc::bad_chunk, status::bad_request},
        malformed{"chunk_size_trailing_space", chunked_head + "5 \r\nhello\r\n0\r\n\r\n", parse_errc::bad_chunk, status::bad_request},
        malformed{"chunk_size_overflowing", chunked_head + "10000000000000000\r\n", parse_errc::bad_chunk, status::bad_request},
        malformed{"chunk_line_too_long", chunked_head + "5;" + std::string(40, 'x') + "\r\nhello\r\n", parse_errc::bad_chunk, status::bad_request},
        malformed{"chunk_extension_without_name", chunked_head + "5;=x\r\nhello\r\n0\r\n\r\n", parse_errc::bad_chunk, status::bad_request},
        malformed{"chunk_extension_unterminated_quote", chunked_head + "5;a=\"b\r\nhello\r\n0\r\n\r\n", parse_errc::bad_chunk, status::bad_request},
        malformed{"chunk_extension_empty_value", chunked_head + "5;a=\r\nhello\r\n0\r\n\r\n", parse_errc::bad_chunk, status::bad_request},
        malformed{"chunk_data_longer_than_its_size", chunked_head + "5\r\nhello!\r\n0\r\n\r\n", parse_errc::bad_chunk, status::bad_request},
        malformed{"chunk_size_bare_lf", chunked_head + "5\nhello\r\n0\r\n\r\n", parse_errc::bad_line_ending, status::bad_request},
        malformed{"chunks_too_large", chunked_head + "40\r\n" + std::string(64, 'x') + "\r\n40\r\n", parse_errc::body_too_large, status::content_too_large},
        malformed{"trailer_bare_lf", chunked_head + "0\r\nX: 1\n\r\n", parse_errc::bad_line_ending, status::bad_request},
        malformed{"trailer_injection", chunked_head + "0\r\nX: 1\r2\r\n\r\n", parse_errc::bad_line_ending, status::bad_request},
        malformed{"trailers_too_large", chunked_head + "0\r\nX: " + std::string(300, 't') + "\r\n\r\n", parse_errc::headers_too_large, status::request_header_fields_too_large},
        // Bodies cut short.
        malformed{"length_body_cut_short", "POST / HTTP/1.1\r\n" + host + "Content-Length: 10\r\n\r\nhello", parse_errc::incomplete_body, status::bad_request},
        malformed{"chunked_body_cut_short", chunked_head + "5\r\nhel", parse_errc::incomplete_body, status::bad_request}),
    [](const ::testing::TestParamInfo<malformed>& info) { return std::string(info.param.name); });

// Values are checked eight bytes at a time: every byte value at every offset of a word, near
// the start and the end of a value, must be judged as a byte loop would judge it.
TEST(request_parser, every_byte_at_every_offset_of_a_value_is_judged_alike) {
  for (int byte = 0; byte < 256; ++byte) {
    const char c = static_cast<char>(byte);
    const bool allowed = c == '\t' || (byte >= 0x20 && byte != 0x7f);
    for (std::size_t offset = 0; offset < 20; ++offset) {
      const std::string value = std::string(offset, 'v') + c + std::string(19 - offset, 'w');
      const std::string text = "GET / HTTP/1.1\r\nHost: a\r\nX: " + value + "\r\n\r\n";
      request_parser parser;
      result<std::size_t> parsed = parser.parse(text);
      if (allowed) {
        ASSERT_EQ(parsed.value(), text.size()) << byte << " at " << offset;
        // Whitespace at either end of a value is trimmed, not kept.
        const bool trimmed = (c == ' ' || c == '\t') && (offset == 0 || offset == 19);
        EXPECT_EQ(parser.request().headers[1].value.size(), trimmed ? 19u : 20u)
            << byte << " at " << offset;
      } else {
        const parse_errc expected = c == '\r' || c == '\n' ? parse_errc::bad_line_ending
                                                           : parse_errc::control_character;
        ASSERT_EQ(parsed.error(), expected) << byte << " at " << offset;
      }
    }
  }
}

TEST(request_parser, a_zero_limit_is_refused_naming_it) {
  limits bad;
  bad.max_headers = 0;
  try {
    request_parser parser(bad);
    FAIL() << "a zero limit was accepted";
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find("max_headers"), std::string::npos);
  }
}

TEST(parse_errc, errors_have_messages_and_statuses) {
  const std::error_code error = parse_errc::length_with_transfer_encoding;
  EXPECT_STREQ(error.category().name(), "percore.http");
  EXPECT_EQ(error.message(), "both Content-Length and Transfer-Encoding");
  EXPECT_EQ(status_for(error), status::bad_request);
  EXPECT_EQ(status_for(std::make_error_code(std::errc::connection_reset)),
            status::internal_server_error);
  EXPECT_EQ(reason_phrase(status::request_header_fields_too_large), "Request Header Fields Too Large");
  EXPECT_EQ(reason_phrase(static_cast<status>(299)), "");
}

// --- Responses (the client side) ---------------------------------------------------------

TEST(response_parser, parses_status_line_headers_and_each_framing) {
  const std::string text =
      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello"
      "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n0\r\nT: 1\r\n\r\n"
      "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n"
      "HTTP/1.1 304 Not Modified\r\nContent-Length: 999\r\n\r\n"
      "HTTP/1.1 100 Continue\r\n\r\n"
      "HTTP/1.1 299\r\nContent-Length: 1\r\n\r\nx"
      "HTTP/1.0 200 OK\r\n\r\nuntil the connection closes";
  const outcome whole = feed_responses(text, "GET", text.size(), text.size());
  ASSERT_EQ(whole.messages.size(), 7u) << whole;
  EXPECT_FALSE(whole.error);
  const auto& m = whole.messages;
  EXPECT_EQ(m[0], (message{"200", "OK", 1, {{"Content-Length", "5"}, {"Content-Type", "text/plain"}},
                           body_kind::length, true, false, "hello", {}}));
  EXPECT_EQ(m[1].framing, body_kind::chunked);
  EXPECT_EQ(m[1].body, "abc");
  EXPECT_EQ(m[1].trailers, (fields{{"T", "1"}}));
  EXPECT_EQ(m[2].framing, body_kind::none);
  EXPECT_EQ(m[3].framing, body_kind::none);  // 304: its Content-Length is the resource's
  EXPECT_EQ(m[4].method_or_code, "100");
  EXPECT_EQ(m[5].method_or_code, "299");
  EXPECT_EQ(m[5].target_or_reason, "");
  EXPECT_EQ(m[6].framing, body_kind::until_close);
  EXPECT_FALSE(m[6].keep_alive);
  EXPECT_EQ(m[6].body, "until the connection closes");

  EXPECT_EQ(feed_responses(text, "GET", 1, 1), whole);
  for (std::size_t cut = 0; cut <= text.size(); ++cut) {
    ASSERT_EQ(feed_responses(text, "GET", cut, text.size()), whole) << "cut at " << cut;
  }
}

TEST(response_parser, a_response_to_head_has_no_body) {
  const std::string text = "HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\n";
  const outcome o = feed_responses(text, "HEAD", text.size(), text.size());
  ASSERT_EQ(o.messages.size(), 1u);
  EXPECT_EQ(o.messages[0].framing, body_kind::none);
  EXPECT_TRUE(o.messages[0].keep_alive);
}

TEST(response_parser, connection_rules_and_conflicting_framing) {
  response_parser parser;
  const std::string close = "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
  ASSERT_EQ(parser.parse(close, "GET").value(), close.size());
  EXPECT_FALSE(parser.response().keep_alive);
  const std::string old = "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n";
  ASSERT_EQ(parser.parse(old, "GET").value(), old.size());
  EXPECT_TRUE(parser.response().keep_alive);
  // Transfer-Encoding wins over Content-Length, and the connection is not reused.
  const std::string both =
      "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n";
  ASSERT_EQ(parser.parse(both, "GET").value(), both.size());
  EXPECT_EQ(parser.response().body.kind, body_kind::chunked);
  EXPECT_FALSE(parser.response().keep_alive);
  const std::string gzip = "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n";
  ASSERT_EQ(parser.parse(gzip, "GET").value(), gzip.size());
  EXPECT_EQ(parser.response().body.kind, body_kind::until_close);
}

TEST(response_parser, malformed_responses_are_errors) {
  const std::vector<std::pair<std::string, parse_errc>> cases = {
      {"HTTP/1.1 20 OK\r\n\r\n", parse_errc::bad_status_line},
      {"HTTP/1.1 2000 OK\r\n\r\n", parse_errc::bad_status_line},
      {"HTTP/1.1 200OK\r\n\r\n", parse_errc::bad_status_line},
      {"HTTP/1.1 099 Low\r\n\r\n", parse_errc::bad_status_line},
      {"HTTP/1.1 200 O\x01K\r\n\r\n", parse_errc::bad_status_line},
      {"ICY 200 OK\r\n\r\n", parse_errc::bad_status_line},
      {"HTTP/2.0 200 OK\r\n\r\n", parse_errc::unsupported_version},
      {"HTTP/1.1 200 OK\nContent-Length: 0\n\n", parse_errc::bad_line_ending},
      {"HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n", parse_errc::obsolete_line_folding},
      {"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", parse_errc::bad_content_length},
      {"HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\n", parse_errc::body_too_large},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", parse_errc::bad_transfer_encoding},
  };
  for (const auto& [text, error] : cases) {
    EXPECT_EQ(feed_responses(text, "GET", text.size(), text.size()).error, error) << text;
    EXPECT_EQ(feed_responses(text, "GET", 1, 1).error, error) << text;
  }
  const std::string cut = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello";
  EXPECT_EQ(feed_responses(cut, "GET", cut.size(), cut.size()).error, parse_errc::incomplete_body);
}

// --- Writing responses ---------------------------------------------------------------------

TEST(date_cache, formats_imf_fixdate) {
  using std::chrono::seconds;
  using std::chrono::system_clock;
  date_cache dates;
  EXPECT_EQ(dates.header_line(system_clock::time_point(seconds(784111777))),
            "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n");
  EXPECT_EQ(dates.header_line(system_clock::time_point(seconds(0))),
            "Date: Thu, 01 Jan 1970 00:00:00 GMT\r\n");
  EXPECT_EQ(dates.header_line(system_clock::time_point(seconds(951782400))),
            "Date: Tue, 29 Feb 2000 00:00:00 GMT\r\n");
  EXPECT_EQ(dates.header_line(system_clock::time_point(seconds(946684799))),
            "Date: Fri, 31 Dec 1999 23:59:59 GMT\r\n");
  EXPECT_EQ(dates.header_line(system_clock::time_point(seconds(4102444800))),
            "Date: Fri, 01 Jan 2100 00:00:00 GMT\r\n");
}

TEST(date_cache, changes_only_when_the_second_does) {
  using namespace std::chrono;
  date_cache dates;
  const system_clock::time_point start(seconds(1'700'000'000));
  const std::string first(dates.header_line(start));
  EXPECT_EQ(dates.header_line(start + milliseconds(999)), first);
  EXPECT_NE(dates.header_line(start + seconds(1)), first);
  EXPECT_EQ(dates.header_line(start + seconds(1)), "Date: Tue, 14 Nov 2023 22:13:21 GMT\r\n");

  // The current time, from the coarse clock: within a couple of seconds of the system clock.
  const std::string now(date_cache::local().header_line());
  const auto reference = floor<seconds>(system_clock::now());
  std::vector<std::string> nearby;
  for (int offset = -2; offset <= 2; ++offset) {
    nearby.emplace_back(dates.header_line(reference + seconds(offset)));
  }
  EXPECT_NE(std::find(nearby.begin(), nearby.end(), now), nearby.end()) << now;
}

TEST(response_pieces, an_invalid_field_or_a_forbidden_body_is_a_bug) {
  date_cache dates;
  const std::string_view date = dates.header_line(std::chrono::system_clock::time_point());
  const header split[] = {{"X-Name", "value\r\nSet-Cookie: stolen"}};
  EXPECT_THROW((void)response_pieces::head(status::ok, split, 0, date), std::invalid_argument);
  const header bad_name[] = {{"X Name", "value"}};
  EXPECT_THROW((void)response_pieces::head(status::ok, bad_name, 0, date), std::invalid_argument);
  const std::string_view body = "no";
  EXPECT_THROW((void)response_pieces::whole(status::no_content, {}, std::as_bytes(std::span(body)), date),
               std::invalid_argument);
  EXPECT_THROW((void)response_pieces::head(static_cast<status>(42), {}, 0, date),
               std::invalid_argument);
}

// --- Routing --------------------------------------------------------------------------------

TEST(router, finds_exact_and_prefix_routes_and_answers_404_and_405) {
  router<std::string> routes;
  routes.add("GET", "/", "root")
      .add("GET", "/plaintext", "plaintext get")
      .add("POST", "/plaintext", "plaintext post")
      .add_prefix("GET", "/static", "static")
      .add_prefix("GET", "/static/private/", "private")
      .add_prefix("DELETE", "/api", "api delete");

  auto handler_of = [&routes](std::string_view method, std::string_view path) {
    const route_match<std::string> found = routes.find(method, path);
    return found.handler != nullptr ? *found.handler : std::string();
  };
  EXPECT_EQ(handler_of("GET", "/"), "root");
  EXPECT_EQ(handler_of("GET", "/plaintext"), "plaintext get");
  EXPECT_EQ(handler_of("POST", "/plaintext"), "plaintext post");
  EXPECT_EQ(handler_of("HEAD", "/plaintext"), "plaintext get");  // HEAD is served by GET
  EXPECT_EQ(handler_of("GET", "/static"), "static");
  EXPECT_EQ(handler_of("GET", "/static/css/a.css"), "static");
  EXPECT_EQ(handler_of("GET", "/static/private/key"), "private");  // the longest prefix wins
  EXPECT_EQ(handler_of("DELETE", "/api/items/7"), "api delete");

  const route_match<std::string> missing = routes.find("GET", "/statics");
  EXPECT_EQ(missing.handler, nullptr);
  EXPECT_EQ(missing.outcome, status::not_found);
  EXPECT_EQ(routes.find("GET", "/nowhere").outcome, status::not_found);

  const route_match<std::string> wrong = routes.find("PUT", "/plaintext");
  EXPECT_EQ(wrong.handler, nullptr);
  EXPECT_EQ(wrong.outcome, status::method_not_allowed);
  EXPECT_EQ(wrong.allow, "GET, HEAD, POST");
  EXPECT_EQ(routes.find("POST", "/api/x").allow, "DELETE");
  EXPECT_EQ(routes.find("get", "/").outcome, status::method_not_allowed);  // methods are case-sensitive

  request_parser parser;
  const std::string text = "POST /plaintext?debug=1 HTTP/1.1\r\nHost: a\r\n\r\n";
  ASSERT_GT(parser.parse(text).value(), 0u);
  EXPECT_EQ(*routes.find(parser.request()).handler, "plaintext post");
}

TEST(router, bad_routes_are_refused_at_registration) {
  router<int> routes;
  routes.add("GET", "/a", 1);
  EXPECT_THROW(routes.add("GET", "/a", 2), std::invalid_argument);
  EXPECT_THROW(routes.add("G ET", "/b", 3), std::invalid_argument);
  EXPECT_THROW(routes.add("GET", "b", 4), std::invalid_argument);
  routes.add_prefix("GET", "/a", 5);  // a prefix route is another route than the exact one
  EXPECT_EQ(*routes.find("GET", "/a").handler, 1);
  EXPECT_EQ(*routes.find("GET", "/a/b").handler, 5);
}

// --- Steady state: no allocation per request ------------------------------------------------

TEST(steady_state, parsing_and_decoding_requests_allocates_nothing) {
  const std::string one =
      "GET /plaintext HTTP/1.1\r\nHost: server\r\nAccept: text/plain\r\nConnection: keep-alive\r\n\r\n"
      "POST /echo HTTP/1.1\r\nHost: server\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3;x=1\r\nabc\r\n0\r\nT: 1\r\n\r\n";
  std::string many;
  for (int i = 0; i < 1000; ++i) many += one;
  request_parser parser;
  body_decoder body;
  router<int> routes;
  routes.add("GET", "/plaintext", 1).add("POST", "/echo", 2);
  const long before = global_allocations.load();
  std::string_view rest = many;
  std::size_t requests = 0;
  std::size_t body_bytes = 0;
  int handled = 0;
  while (!rest.empty()) {
    const std::size_t head = parser.parse(rest).value();
    if (head == 0) break;
    handled += *routes.find(parser.request()).handler;
    rest.remove_prefix(head);
    body.start(parser.request().body);
    while (!body.done()) {
      const body_piece piece = body.decode(rest).value();
      body_bytes += piece.data.size();
      rest.remove_prefix(piece.consumed);
    }
    ++requests;
  }
  EXPECT_EQ(global_allocations.load() - before, 0);
  EXPECT_EQ(requests, 2000u);
  EXPECT_EQ(body_bytes, 3000u);
  EXPECT_EQ(handled, 3000);
}

// --- Over real sockets, on every backend ----------------------------------------------------

using testing::on_every_backend;

// A source and sink over one socket.
struct socket_end {
  int fd;
  io_operation<std::size_t> read(std::span<std::byte> buffer) { return percore::read(fd, buffer); }
  io_operation<std::size_t> write(std::span<const std::byte> bytes) {
    return percore::write(fd, bytes);
  }
  io_operation<std::size_t> writev(std::span<const iovec> parts) {
    return percore::writev(fd, parts);
  }
};

std::array<int, 2> make_socket_pair() {
  const int nonblocking = current_backend().wants_nonblocking_fds() ? SOCK_NONBLOCK : 0;
  std::array<int, 2> ends{-1, -1};
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | nonblocking, 0, ends.data()) != 0) {
    throw std::system_error(errno, std::system_category(), "socketpair");
  }
  return ends;
}

// Serves one connection as a server built on these pieces would: parses each request where it
// lies in the input buffer, answers from the router (404/405 included), and flushes only when
// no complete request is left buffered, so pipelined answers leave in one write. A malformed
// request is answered with its status. The input buffer holds the largest head the limits
// allow. Closes `fd` at the end, so that a client still sending learns it (EPIPE).
task<void> serve(int fd) {
  limits bounds;
  bounds.max_request_line = 1024;
  bounds.max_header_bytes = 2048;
  bounds.max_body = 4096;
  socket_end connection{fd};
  input_stream in(connection, bounds.max_header_bytes);
  output_stream out(connection, 1024);
  response_writer<socket_end> writer(out);
  request_parser parser(bounds);
  body_decoder body(bounds);
  router<int> routes;
  routes.add("GET", "/plaintext", 1).add("POST", "/echo", 2);
  const header text_plain[] = {{"Content-Type", "text/plain"}};
  for (;;) {
    result<std::size_t> head = parser.parse(in.peek());
    if (head && *head == 0) {
      if (!(co_await out.flush())) break;
      result<std::size_t> got = co_await in.fill();
      if (!got || *got == 0) break;
      continue;
    }
    if (!head) {
      const header closing[] = {{"Connection", "close"}};
      (void)co_await writer.write(status_for(head.error()), closing, std::string_view());
      break;
    }
    const request& r = parser.request();
    const route_match<int> route = routes.find(r);
    const bool keep_alive = r.keep_alive;
    const bool head_only = r.method == "HEAD";
    const int handler = route.handler != nullptr ? *route.handler : 0;
    if (r.expects_continue) (void)co_await writer.write_continue();
    body.start(r.body);
    in.consume(*head);  // the views of `r` stay valid until the next fill
    std::string received;
    while (!body.done()) {
      result<body_piece> piece = body.decode(in.peek());
      if (!piece) co_return;
      received.append(reinterpret_cast<const char*>(piece->data.data()), piece->data.size());
      in.consume(piece->consumed);
      if (piece->consumed == 0 && !body.done()) {
        if (!(co_await out.flush())) co_return;
        result<std::size_t> got = co_await in.fill();
        if (!got || *got == 0) co_return;
      }
    }
    const std::string_view hello = "Hello, World!";
    if (handler == 1 && head_only) {
      (void)co_await writer.write_head(status::ok, text_plain, hello.size());
    } else if (handler == 1) {
      (void)co_await writer.write(status::ok, text_plain, hello);
    } else if (handler == 2) {
      (void)co_await writer.write_chunked_head(status::ok, text_plain);
      const std::string_view half = std::string_view(received).substr(0, received.size() / 2);
      const std::string_view rest = std::string_view(received).substr(half.size());
      (void)co_await writer.write_chunk(std::as_bytes(std::span(half)));
      (void)co_await writer.write_chunk(std::as_bytes(std::span(rest)));
      const std::string length = std::to_string(received.size());
      const header trailer[] = {{"X-Length", length}};
      const std::span<const header> trailers = trailer;
      (void)co_await writer.finish_chunks(trailers);
    } else {
      const header allow[] = {{"Allow", route.allow}};
      const std::span<const header> extra =
          route.outcome == status::method_not_allowed ? std::span<const header>(allow)
                                                      : std::span<const header>();
      (void)co_await writer.write(route.outcome, extra, std::string_view());
    }
    if (!keep_alive) break;
  }
  (void)co_await out.flush();
  ::close(fd);
}

// Sends `requests` one byte per write (so every request arrives split at every byte), then
// reads the responses with an input_stream and the response parser until the server closes.
task<outcome> exchange(int fd, std::string requests, std::vector<std::string> methods) {
  socket_end connection{fd};
  for (std::size_t i = 0; i < requests.size(); ++i) {
    const std::span<const std::byte> one = std::as_bytes(std::span(requests)).subspan(i, 1);
    if (!(co_await percore::write(fd, one))) break;  // the server may close after an error
  }
  ::shutdown(fd, SHUT_WR);
  input_stream in(connection, 128);
  std::string all;
  for (;;) {
    result<std::size_t> got = co_await in.fill();
    if (!got || *got == 0) break;
    all.append(reinterpret_cast<const char*>(in.peek().data()), in.peek().size());
    in.consume(in.peek().size());
  }
  // Each response is parsed with the method of the request it answers (HEAD has no body).
  outcome parsed;
  std::string_view rest = all;
  response_parser parser;
  body_decoder body;
  for (const std::string& method : methods) {
    while (true) {
      result<std::size_t> head = parser.parse(rest, method);
      if (!head || *head == 0) {
        parsed.error = head ? make_error_code(parse_errc::incomplete_body) : head.error();
        co_return parsed;
      }
      const response& r = parser.response();
      message m{std::to_string(static_cast<unsigned>(r.code)), std::string(r.reason),
                r.minor_version, copy_of(r.headers), r.body.kind, r.keep_alive, false, {}, {}};
      rest.remove_prefix(*head);
      body.start(r.body);
      while (!body.done()) {
        result<body_piece> piece = body.decode(rest);
        if (!piece || (piece->consumed == 0 && !body.done())) {
          if (!body.end_of_stream()) co_return parsed;
          break;
        }
        m.body.append(reinterpret_cast<const char*>(piece->data.data()), piece->data.size());
        rest.remove_prefix(piece->consumed);
      }
      m.trailers = copy_of(body.trailers());
      const bool interim = r.code == status::continue_;
      parsed.messages.push_back(std::move(m));
      if (!interim) break;
    }
  }
  parsed.ends_inside_a_head = !rest.empty();
  co_return parsed;
}

// Drops the Date field (its value changes) after checking its shape.
fields without_date(fields headers) {
  std::erase_if(headers, [](const auto& field) {
    if (field.first != "Date") return false;
    EXPECT_EQ(field.second.size(), 29u);
    EXPECT_TRUE(field.second.ends_with(" GMT")) << field.second;
    return true;
  });
  return headers;
}

class http_exchange : public on_every_backend {};

TEST_P(http_exchange, pipelined_requests_split_at_every_byte_get_their_answers) {
  ::signal(SIGPIPE, SIG_IGN);
  const outcome got = run([]() -> task<outcome> {
    auto ends = make_socket_pair();
    auto server = spawn(serve(ends[0]));
    const std::string requests =
        "GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n"
        "HEAD /plaintext HTTP/1.1\r\nHost: a\r\n\r\n"
        "POST /echo HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 10\r\n\r\n"
        "0123456789"
        "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        "4;ext=1\r\nabcd\r\n2\r\nef\r\n0\r\nT: x\r\n\r\n"
        "GET /missing HTTP/1.1\r\nHost: a\r\n\r\n"
        "DELETE /plaintext HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
    std::vector<std::string> methods = {"GET", "HEAD", "POST", "POST", "GET", "DELETE"};
    outcome parsed = co_await exchange(ends[1], requests, std::move(methods));
    co_await server;
    ::close(ends[1]);
    co_return parsed;
  });
  EXPECT_FALSE(got.error) << got;
  EXPECT_FALSE(got.ends_inside_a_head) << got;
  ASSERT_EQ(got.messages.size(), 7u) << got;
  const auto& m = got.messages;
  EXPECT_EQ(m[0].method_or_code, "200");
  EXPECT_EQ(m[0].body, "Hello, World!");
  EXPECT_EQ(without_date(m[0].headers),
            (fields{{"Server", "percore"}, {"Content-Type", "text/plain"}, {"Content-Length", "13"}}));
  EXPECT_EQ(m[1].method_or_code, "200");  // HEAD: the same head, no body
  EXPECT_EQ(m[1].body, "");
  EXPECT_EQ(without_date(m[1].headers), without_date(m[0].headers));
  EXPECT_EQ(m[2].method_or_code, "100");
  EXPECT_EQ(m[3].body, "0123456789");
  EXPECT_EQ(m[3].framing, body_kind::chunked);
  EXPECT_EQ(m[3].trailers, (fields{{"X-Length", "10"}}));
  EXPECT_EQ(m[4].body, "abcdef");
  EXPECT_EQ(m[5].method_or_code, "404");
  EXPECT_EQ(m[5].target_or_reason, "Not Found");
  EXPECT_EQ(m[6].method_or_code, "405");
  EXPECT_EQ(without_date(m[6].headers),
            (fields{{"Server", "percore"}, {"Allow", "GET, HEAD"}, {"Content-Length", "0"}}));
}

TEST_P(http_exchange, a_malformed_request_is_answered_with_its_status_and_the_connection_closes) {
  ::signal(SIGPIPE, SIG_IGN);
  struct exchange_case {
    std::string requests;
    std::vector<std::string> methods;
    std::string status;
  };
  const std::vector<exchange_case> cases = {
      {"GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\nX: 1\r\n\r\n",
       {"GET", "GET"}, "400"},
      {"GET /" + std::string(2000, 'a') + " HTTP/1.1\r\n\r\n", {"GET"}, "414"},
      {"GET / HTTP/1.1\r\nHost: a\r\nCookie: " + std::string(3000, 'c') + "\r\n\r\n", {"GET"}, "431"},
      {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 9999999\r\n\r\n", {"POST"}, "413"},
      {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", {"POST"}, "501"},
      {"GET / HTTP/2.0\r\n\r\n", {"GET"}, "505"},
  };
  for (const exchange_case& c : cases) {
    const outcome got = run([&c]() -> task<outcome> {
      auto ends = make_socket_pair();
      auto server = spawn(serve(ends[0]));
      outcome parsed = co_await exchange(ends[1], c.requests, c.methods);
      co_await server;
      ::close(ends[1]);
      co_return parsed;
    });
    ASSERT_EQ(got.messages.size(), c.methods.size()) << got;
    EXPECT_EQ(got.messages.back().method_or_code, c.status) << got;
    EXPECT_FALSE(got.messages.back().keep_alive);
  }
}

TEST_P(http_exchange, a_large_body_goes_out_whole_and_many_responses_leave_in_one_write) {
  run([]() -> task<void> {
    auto ends = make_socket_pair();
    struct counting_end : socket_end {
      int writes = 0;
      io_operation<std::size_t> write(std::span<const std::byte> bytes) {
        ++writes;
        return socket_end::write(bytes);
      }
      io_operation<std::size_t> writev(std::span<const iovec> parts) {
        ++writes;
        return socket_end::writev(parts);
      }
    };
    counting_end sink{{ends[0]}};
    output_stream out(sink, 4096);
    response_writer<counting_end> writer(out);
    const header fields_to_send[] = {{"Content-Type", "text/plain"}};
    for (int i = 0; i < 20; ++i) {
      EXPECT_TRUE(co_await writer.write(status::ok, fields_to_send, std::string_view("Hello, World!")));
    }
    EXPECT_EQ(sink.writes, 0);  // all twenty are buffered
    EXPECT_TRUE(co_await out.flush());
    EXPECT_EQ(sink.writes, 1);
    std::string large(100'000, '\0');
    for (std::size_t i = 0; i < large.size(); ++i) large[i] = static_cast<char>('a' + i % 26);
    auto reader = spawn([](int fd) -> task<std::string> {
      std::string all;
      std::array<std::byte, 8192> buffer;
      for (;;) {
        const std::size_t got = (co_await percore::read(fd, buffer)).value();
        if (got == 0) break;
        all.append(reinterpret_cast<const char*>(buffer.data()), got);
      }
      co_return all;
    }, ends[1]);
    EXPECT_TRUE(co_await writer.write(status::ok, fields_to_send, large));
    EXPECT_TRUE(co_await out.flush());
    ::shutdown(ends[0], SHUT_WR);
    const std::string all = co_await reader;
    const outcome parsed = feed_responses(all, "GET", all.size(), all.size());
    EXPECT_FALSE(parsed.error);
    EXPECT_EQ(parsed.messages.size(), 21u);
    if (!parsed.messages.empty()) {
      EXPECT_EQ(parsed.messages.front().body, "Hello, World!");
      EXPECT_TRUE(parsed.messages.back().body == large);
    }
    ::close(ends[0]);
    ::close(ends[1]);
  });
}

PERCORE_ON_EVERY_BACKEND(http_exchange);

}  // namespace
}  // namespace percore::net::http
