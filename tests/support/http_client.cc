#include "http_client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

namespace switchboard::testing {
namespace {

// A JSON string literal; bytes >= 0x80 pass through (responses are UTF-8).
std::string JsonQuoted(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\u%04x", u);
      out += hex;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// HttpConnection::Request: with SWITCHBOARD_RECORD_RESPONSES naming a file
// (the integration tests' ctest environment), appends the exchange as
// one JSON line for tests/openapi/validate.mjs. One write(2) on an O_APPEND
// descriptor per line, so test processes running at once do not interleave.
void RecordExchange(std::string_view method, std::string_view target,
                    const HttpResponse& response) {
  const char* path = std::getenv("SWITCHBOARD_RECORD_RESPONSES");
  if (path == nullptr || *path == '\0' || response.status < 200) return;
  const std::string line =
      "{\"method\":" + JsonQuoted(method) + ",\"target\":" + JsonQuoted(target) +
      ",\"status\":" + std::to_string(response.status) +
      ",\"contentType\":" + JsonQuoted(response.Header("Content-Type").value_or("")) +
      ",\"body\":" + JsonQuoted(response.body) + "}\n";
  const int fd = ::open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return;
  const ssize_t written = ::write(fd, line.data(), line.size());
  (void)written;  // a lost line only weakens the check; never fail a test for it
  ::close(fd);
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::string Errno(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

}  // namespace

std::optional<std::string> HttpResponse::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (EqualsIgnoreCase(key, name)) return value;
  }
  return std::nullopt;
}

std::unique_ptr<HttpConnection> HttpConnection::Connect(std::uint16_t port,
                                                        const std::string& source) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error(Errno("socket"));
  if (!source.empty()) {
    sockaddr_in local{};
    local.sin_family = AF_INET;
    if (::inet_pton(AF_INET, source.c_str(), &local.sin_addr) != 1 ||
        ::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
      const std::string error = Errno(("bind " + source).c_str());
      ::close(fd);
      throw std::runtime_error(error);
    }
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    const std::string error = Errno("connect");
    ::close(fd);
    throw std::runtime_error(error);
  }
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return std::unique_ptr<HttpConnection>(new HttpConnection(fd));
}

HttpConnection::~HttpConnection() { ::close(fd_); }

void HttpConnection::SendRaw(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(Errno("send"));
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

bool HttpConnection::Fill(std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) throw std::runtime_error("timed out waiting for the server");
    pollfd p{fd_, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) throw std::runtime_error(Errno("poll"));
    if (ready == 0) continue;  // the deadline check above throws
    char chunk[16384];
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;  // EOF, or reset
    buffer_.append(chunk, static_cast<size_t>(n));
    return true;
  }
}

HttpResponse HttpConnection::ReadResponse(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  size_t head_end;
  while ((head_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    if (!Fill(deadline)) throw std::runtime_error("connection closed before a response");
  }
  HttpResponse response;
  const std::string head = buffer_.substr(0, head_end + 2);
  size_t line_end = head.find("\r\n");
  const std::string status_line = head.substr(0, line_end);
  // "HTTP/1.1 200 OK"
  const size_t first_space = status_line.find(' ');
  if (first_space == std::string::npos || status_line.compare(0, 5, "HTTP/") != 0) {
    throw std::runtime_error("bad status line: " + status_line);
  }
  response.status = std::stoi(status_line.substr(first_space + 1, 3));
  if (status_line.size() > first_space + 5) response.reason = status_line.substr(first_space + 5);
  for (size_t pos = line_end + 2; pos < head.size(); pos = line_end + 2) {
    line_end = head.find("\r\n", pos);
    const std::string line = head.substr(pos, line_end - pos);
    const size_t colon = line.find(':');
    if (colon == std::string::npos) throw std::runtime_error("bad header line: " + line);
    size_t value_start = colon + 1;
    while (value_start < line.size() && line[value_start] == ' ') ++value_start;
    response.headers.emplace_back(line.substr(0, colon), line.substr(value_start));
  }
  buffer_.erase(0, head_end + 4);
  const size_t length =
      response.status / 100 == 1
          ? 0
          : static_cast<size_t>(std::stoul(response.Header("Content-Length").value_or("0")));
  while (buffer_.size() < length) {
    if (!Fill(deadline)) throw std::runtime_error("connection closed inside a response body");
  }
  response.body = buffer_.substr(0, length);
  buffer_.erase(0, length);
  return response;
}

HttpResponse HttpConnection::Request(std::string_view method, std::string_view target,
                                     const Headers& headers, std::string_view body) {
  SendRaw(FormatRequest(method, target, headers, body));
  HttpResponse response = ReadResponse();
  RecordExchange(method, target, response);
  return response;
}

bool HttpConnection::WaitForClose(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  if (!buffer_.empty()) return false;
  try {
    return !Fill(deadline);
  } catch (const std::runtime_error&) {
    return false;  // timed out: still open
  }
}

std::string FormatRequest(std::string_view method, std::string_view target, const Headers& headers,
                          std::string_view body) {
  std::string out = std::string(method) + " " + std::string(target) + " HTTP/1.1\r\n";
  out += "Host: 127.0.0.1\r\n";
  bool framed = false;
  for (const auto& [name, value] : headers) {
    framed = framed || EqualsIgnoreCase(name, "Content-Length") ||
             EqualsIgnoreCase(name, "Transfer-Encoding");
    out += name + ": " + value + "\r\n";
  }
  if (!body.empty() && !framed) out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  out += "\r\n";
  out += body;
  return out;
}

HttpResponse OneShot(std::uint16_t port, std::string_view method, std::string_view target,
                     const Headers& headers, std::string_view body) {
  return HttpConnection::Connect(port)->Request(method, target, headers, body);
}

HttpResponse OneShotFrom(const std::string& source, std::uint16_t port, std::string_view method,
                         std::string_view target, const Headers& headers, std::string_view body) {
  return HttpConnection::Connect(port, source)->Request(method, target, headers, body);
}

}  // namespace switchboard::testing
