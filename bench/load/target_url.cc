// target_url: splits a URL into scheme, host, port and path, and names the first part that is
// wrong; the path is checked for what would break or inject into an HTTP request line.
#include "target_url.hh"

#include <algorithm>
#include <charconv>
#include <stdexcept>

namespace percore::load {
namespace {

// The URL as the error shows it: control characters written as \xNN, so the error stays on
// one line whatever the URL holds.
std::string printable(std::string_view text) {
  static constexpr char hex_digits[] = "0123456789abcdef";
  std::string shown;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      shown += "\\x";
      shown += hex_digits[byte >> 4];
      shown += hex_digits[byte & 0xf];
    } else {
      shown += c;
    }
  }
  return shown;
}

[[noreturn]] void reject(std::string_view text, std::string_view reason) {
  throw std::invalid_argument("percore-load: bad URL '" + printable(text) + "': " +
                              std::string(reason) +
                              " (accepted: tcp://HOST:PORT or http://HOST[:PORT][/PATH])");
}

bool is_name_character(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '-' || c == '.' || c == '_';
}

bool is_ipv6_character(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
         c == ':' || c == '.';
}

// Bytes that would end or split the request line, or smuggle a header into the request.
bool is_unsafe_in_path(char c) {
  const auto byte = static_cast<unsigned char>(c);
  return byte <= 0x20 || byte == 0x7f;
}

std::uint16_t parse_port(std::string_view url, std::string_view text) {
  unsigned value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc{} || end != text.data() + text.size() || value < 1 ||
      value > 65535) {
    reject(url, "port '" + std::string(text) + "' is not a number from 1 to 65535");
  }
  return static_cast<std::uint16_t>(value);
}

}  // namespace

target_url parse_target_url(std::string_view text) {
  target_url target;
  const auto scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos) reject(text, "no scheme");
  std::string scheme(text.substr(0, scheme_end));
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; });
  if (scheme == "tcp") {
    target.protocol = target_protocol::echo;
  } else if (scheme == "http") {
    target.protocol = target_protocol::http;
  } else {
    reject(text, "unknown scheme '" + scheme + "'");
  }

  const std::string_view rest = text.substr(scheme_end + 3);
  const auto path_start = rest.find('/');
  const std::string_view authority = rest.substr(0, path_start);
  const std::string_view path =
      path_start == std::string_view::npos ? std::string_view{} : rest.substr(path_start);
  if (authority.find('@') != std::string_view::npos) reject(text, "user information is not supported");

  std::string_view host = authority;
  std::string_view port;
  bool has_port = false;
  if (authority.starts_with('[')) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) reject(text, "'[' without ']' around the IPv6 host");
    host = authority.substr(1, close - 1);
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') reject(text, "'" + std::string(after) + "' after the IPv6 host");
      port = after.substr(1);
      has_port = true;
    }
    if (host.empty() || !std::all_of(host.begin(), host.end(), is_ipv6_character)) {
      reject(text, "'" + std::string(host) + "' is not an IPv6 address");
    }
  } else {
    if (const auto colon = authority.rfind(':'); colon != std::string_view::npos) {
      host = authority.substr(0, colon);
      port = authority.substr(colon + 1);
      has_port = true;
    }
    if (host.empty()) reject(text, "no host");
    if (!std::all_of(host.begin(), host.end(), is_name_character)) {
      reject(text, "host '" + std::string(host) +
                       "' is not a name or an address (an IPv6 address goes in brackets)");
    }
  }
  target.host = std::string(host);

  if (has_port) {
    target.port = parse_port(text, port);
  } else if (target.protocol == target_protocol::http) {
    target.port = 80;
  } else {
    reject(text, "no port");
  }

  if (target.protocol == target_protocol::echo) {
    if (!path.empty()) reject(text, "a tcp URL has no path");
    return target;
  }
  if (std::any_of(path.begin(), path.end(), is_unsafe_in_path)) {
    reject(text, "the path has a space or a control character");
  }
  if (path.find('#') != std::string_view::npos) reject(text, "the path has a '#' fragment");
  target.path = path.empty() ? std::string("/") : std::string(path);
  return target;
}

std::string to_string(const target_url& target) {
  const bool ipv6 = target.host.find(':') != std::string::npos;
  std::string text = target.protocol == target_protocol::http ? "http://" : "tcp://";
  if (ipv6) text += '[';
  text += target.host;
  if (ipv6) text += ']';
  text += ':';
  text += std::to_string(target.port);
  text += target.path;
  return text;
}

}  // namespace percore::load
