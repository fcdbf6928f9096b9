// defines: scalelab::report::testing::check_markup, svg_fragments, bad_svg_numbers
//
// Small, self-written checks on the report's markup so the tests need no XML library:
//
//   MarkupCheck c = check_markup(html, /*html_void=*/true);
//   EXPECT_EQ(c.error, "");                // every tag closed, in order; quotes and entities sane
//   EXPECT_EQ(c.opened["svg"], 6);
//   for (auto& svg : svg_fragments(html)) EXPECT_EQ(bad_svg_numbers(svg), "");
#pragma once

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <map>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

namespace scalelab::report::testing {

struct MarkupCheck {
  std::string error;                 // empty when well-formed
  std::map<std::string, int> opened; // element name -> count (self-closing included)
};

// Tag balance: a stack of open elements; "<x/>" counts without pushing; comments and
// <!DOCTYPE> are skipped. With `html_void`, HTML's void elements (meta, br, ...) need no
// close. Attribute values must be double-quoted with no '<' inside; '&' in text or values
// must start an entity ("&name;" or "&#digits;").
inline MarkupCheck check_markup(const std::string& s, bool html_void) {
  static const std::vector<std::string> kVoid = {"meta", "br", "hr", "img", "input", "link", "wbr"};
  MarkupCheck out;
  std::vector<std::string> stack;
  auto fail = [&](size_t at, const std::string& why) {
    out.error = why + " at offset " + std::to_string(at) + ": '" + s.substr(at, 60) + "'";
    return out;
  };
  static const std::regex kEntity("^&(#[0-9]+|[a-zA-Z]+);");
  for (size_t i = 0; i < s.size();) {
    if (s[i] == '&') {
      if (!std::regex_search(s.begin() + i, s.begin() + std::min(s.size(), i + 12), kEntity))
        return fail(i, "bare '&'");
      ++i;
      continue;
    }
    if (s[i] == '>') return fail(i, "stray '>'");
    if (s[i] != '<') { ++i; continue; }
    if (s.compare(i, 4, "<!--") == 0) {
      size_t e = s.find("-->", i);
      if (e == std::string::npos) return fail(i, "unclosed comment");
      i = e + 3;
      continue;
    }
    if (s.compare(i, 2, "<!") == 0) {
      size_t e = s.find('>', i);
      if (e == std::string::npos) return fail(i, "unclosed declaration");
      i = e + 1;
      continue;
    }
    const bool closing = i + 1 < s.size() && s[i + 1] == '/';
    size_t j = i + (closing ? 2 : 1);
    size_t name_start = j;
    while (j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '-' || s[j] == ':')) ++j;
    std::string name = s.substr(name_start, j - name_start);
    if (name.empty()) return fail(i, "'<' without a tag name");
    // Scan attributes up to '>' honouring quotes.
    bool in_quote = false;
    size_t k = j;
    for (; k < s.size(); ++k) {
      char c = s[k];
      if (in_quote) {
        if (c == '"') in_quote = false;
        else if (c == '<') return fail(k, "'<' inside an attribute value");
        continue;
      }
      if (c == '"') {
        if (k == 0 || s[k - 1] != '=') return fail(k, "quote not after '='");
        in_quote = true;
      } else if (c == '=' && k + 1 < s.size() && s[k + 1] != '"') {
        return fail(k, "unquoted attribute value");
      } else if (c == '>' || c == '<') {
        break;
      }
    }
    if (k >= s.size() || s[k] != '>') return fail(i, "unterminated tag");
    const bool self_closing = s[k - 1] == '/';
    if (closing) {
      if (stack.empty() || stack.back() != name)
        return fail(i, "</" + name + "> closes " + (stack.empty() ? std::string("nothing") : "<" + stack.back() + ">"));
      stack.pop_back();
    } else {
      ++out.opened[name];
      bool is_void = html_void && std::find(kVoid.begin(), kVoid.end(), name) != kVoid.end();
      if (!self_closing && !is_void) stack.push_back(name);
    }
    i = k + 1;
  }
  if (!stack.empty()) return fail(s.size() - 1, "<" + stack.back() + "> never closed");
  return out;
}

// Every "<svg ...>...</svg>" element of a page (not nested in this report).
inline std::vector<std::string> svg_fragments(const std::string& html) {
  std::vector<std::string> out;
  for (size_t i = html.find("<svg"); i != std::string::npos; i = html.find("<svg", i + 1)) {
    size_t e = html.find("</svg>", i);
    if (e == std::string::npos) break;
    out.push_back(html.substr(i, e + 6 - i));
  }
  return out;
}

// Every coordinate-like attribute of an SVG must hold finite numbers: x, y, x1..y2, cx, cy,
// r, width, height (one number each), points and d (all numbers in them). Returns the
// first offending attribute, or "".
inline std::string bad_svg_numbers(const std::string& svg) {
  static const std::regex kAttr(R"re(\s(x|y|x1|x2|y1|y2|cx|cy|r|width|height|points|d)="([^"]*)")re");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), kAttr); it != std::sregex_iterator(); ++it) {
    const std::string name = (*it)[1], value = (*it)[2];
    std::string v = value;
    if (name == "d")  // path command letters become spaces; "nan"/"inf" stay and fail below
      for (char& c : v)
        if (std::string_view("MmLlHhVvZzCcSsQqTtAa").find(c) != std::string_view::npos) c = ' ';
    for (char& c : v)
      if (c == ',') c = ' ';
    const char* p = v.c_str();
    int numbers = 0;
    while (true) {
      while (*p == ' ') ++p;
      if (!*p) break;
      char* end = nullptr;
      double x = std::strtod(p, &end);
      if (end == p || !std::isfinite(x)) return name + "=\"" + value + "\"";
      ++numbers;
      p = end;
    }
    if (numbers == 0 || (name != "points" && name != "d" && numbers != 1)) return name + "=\"" + value + "\"";
  }
  return "";
}

}  // namespace scalelab::report::testing
