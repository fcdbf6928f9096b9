// PostgreSQL store URLs without their passwords (store_url.h). The grammar is libpq's
// connection URI (PostgreSQL docs, "Connection URIs"): scheme, optional userinfo before
// the last '@' of the authority, hosts, path, query.
#include "sweep/store_url.h"

#include <algorithm>

#include "core/error.h"

namespace scalelab::sweep {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

StoreUrl parse_store_url(std::string_view url) {
  StoreUrl out;
  out.url = std::string(url);
  size_t scheme_end = url.find("://");
  const std::string_view scheme = scheme_end == std::string_view::npos ? "" : url.substr(0, scheme_end);
  if (scheme != "postgresql" && scheme != "postgres")
    throw InputError("--store: expected a file path or a URL postgresql://[user@]host[:port]/db");
  const size_t auth_begin = scheme_end + 3;
  const size_t auth_end = std::min(url.find_first_of("/?", auth_begin), url.size());
  std::string_view authority = url.substr(auth_begin, auth_end - auth_begin);
  std::string_view rest = url.substr(auth_end);

  std::string redacted = std::string(scheme) + "://";
  const size_t at = authority.rfind('@');
  if (at != std::string_view::npos) {
    std::string_view userinfo = authority.substr(0, at);
    const size_t colon = userinfo.find(':');
    if (colon != std::string_view::npos) out.password = percent_decode(userinfo.substr(colon + 1));
    redacted += std::string(userinfo.substr(0, colon)) + "@";
    authority = authority.substr(at + 1);
  }
  redacted += std::string(authority);

  // The query: every parameter but password kept, in order.
  const size_t q = rest.find('?');
  redacted += std::string(rest.substr(0, q));
  if (q != std::string_view::npos) {
    std::string_view query = rest.substr(q + 1);
    std::string kept;
    while (!query.empty()) {
      const size_t amp = query.find('&');
      const std::string_view param = query.substr(0, amp);
      const std::string_view key = param.substr(0, param.find('='));
      if (percent_decode(key) == "password") {
        if (param.size() > key.size()) out.password = percent_decode(param.substr(key.size() + 1));
      } else if (!param.empty()) {
        if (!kept.empty()) kept += '&';
        kept.append(param);
      }
      query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    }
    if (!kept.empty()) redacted.append("?").append(kept);
  }
  out.redacted = std::move(redacted);
  return out;
}

}  // namespace scalelab::sweep
