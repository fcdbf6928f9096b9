// Data files as tables of text cells (table_io.h).
#include "fit/table_io.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <set>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/json.h"

namespace scalelab::fit {
namespace {

std::string trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t' || s[b] == '\r')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r')) --e;
  return std::string(s.substr(b, e - b));
}


}  // namespace

Table parse_csv_table(std::string_view text, const std::string& source) {
  Table t;
  std::vector<std::string> record;
  std::string field;
  bool quoted_field = false;  // the current field was quoted (do not trim it)
  size_t line = 1, record_line = 1;
  size_t i = 0;
  bool record_has_content = false;
  auto end_field = [&] {
    record.push_back(quoted_field ? field : trim(field));
    field.clear();
    quoted_field = false;
  };
  auto end_record = [&] {
    end_field();
    bool blank = !record_has_content;
    if (!blank) {
      if (t.header.empty()) {
        t.header = record;
      } else {
        SL_REQUIRE(record.size() == t.header.size(), "{}: line {}: {} fields, header has {}", source, record_line,
                   record.size(), t.header.size());
        t.rows.push_back({record_line, record});
      }
    }
    record.clear();
    record_has_content = false;
  };
  while (i < text.size()) {
    char ch = text[i];
    if (ch == '"' && trim(field).empty() && !quoted_field) {
      // Quoted field: read to the closing quote.
      field.clear();
      quoted_field = true;
      record_has_content = true;
      size_t start_line = line;
      ++i;
      for (;;) {
        SL_REQUIRE(i < text.size(), "{}: line {}: unterminated quoted field", source, start_line);
        if (text[i] == '"') {
          if (i + 1 < text.size() && text[i + 1] == '"') {
            field += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        if (text[i] == '\n') ++line;
        field += text[i++];
      }
      // Only blanks may follow the closing quote before the separator.
      while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r')) ++i;
      SL_REQUIRE(i >= text.size() || text[i] == ',' || text[i] == '\n',
                 "{}: line {}: unexpected text after a closing quote", source, line);
      continue;
    }
    if (ch == ',') {
      end_field();
      record_has_content = true;
      ++i;
    } else if (ch == '\n') {
      end_record();
      ++line;
      record_line = line;
      ++i;
    } else {
      SL_REQUIRE(!quoted_field, "{}: line {}: unexpected text after a closing quote", source, line);
      if (ch != '\r' && ch != ' ' && ch != '\t') record_has_content = true;
      field += ch;
      ++i;
    }
  }
  if (record_has_content || !field.empty()) end_record();
  SL_REQUIRE(!t.header.empty(), "{}: empty file, expected a header row", source);
  std::set<std::string> seen;
  for (const auto& h : t.header) SL_REQUIRE(seen.insert(h).second, "{}: duplicate column \"{}\" in the header", source, h);
  return t;
}

Table parse_jsonl_table(std::string_view text, const std::string& source) {
  Table t;
  std::map<std::string, size_t> index;
  std::vector<std::pair<size_t, Json>> objects;
  size_t line = 0, pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    ++line;
    std::string s = trim(text.substr(pos, nl - pos));
    pos = nl + 1;
    if (s.empty()) continue;
    Json j = Json::parse(s, nullptr, /*allow_exceptions=*/false);
    SL_REQUIRE(!j.is_discarded(), "{}: line {}: not valid JSON", source, line);
    SL_REQUIRE(j.is_object(), "{}: line {}: expected a JSON object", source, line);
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (index.emplace(it.key(), t.header.size()).second) t.header.push_back(it.key());
    }
    objects.emplace_back(line, std::move(j));
  }
  SL_REQUIRE(!objects.empty(), "{}: no JSON objects found", source);
  for (auto& [ln, j] : objects) {
    TableRow r{ln, std::vector<std::string>(t.header.size())};
    for (auto it = j.begin(); it != j.end(); ++it) {
      const Json& v = it.value();
      std::string cell;
      if (v.is_string()) {
        cell = v.get<std::string>();
      } else if (v.is_number() || v.is_boolean()) {
        cell = v.dump();  // nlohmann prints doubles so that they read back exactly
      } else if (!v.is_null()) {
        cell = v.dump();  // arrays/objects: kept as text, rejected if a number is needed
      }
      r.cells[index.at(it.key())] = cell;
    }
    t.rows.push_back(std::move(r));
  }
  return t;
}

std::string list_columns(const Table& t) {
  std::string s;
  for (size_t i = 0; i < t.header.size(); ++i) s += (i ? ", " : "") + ("\"" + t.header[i] + "\"");
  return s;
}

long find_column(const Table& t, const std::string& given, const char* dflt, const char* role, const std::string& source,
                 bool required) {
  const std::string name = given.empty() ? dflt : given;
  auto it = std::find(t.header.begin(), t.header.end(), name);
  if (it != t.header.end()) return it - t.header.begin();
  SL_REQUIRE(!(required || !given.empty()), "{}: missing column \"{}\" ({}); available columns: {}", source, name, role,
             list_columns(t));
  return -1;
}

double parse_number(const std::string& cell, const std::string& source, const TableRow& row, const std::string& column) {
  SL_REQUIRE(!cell.empty(), "{}: line {}, column \"{}\": empty value, expected a number", source, row.line, column);
  double v = 0;
  const char* b = cell.data();
  const char* e = b + cell.size();
  if (*b == '+') ++b;
  auto [p, ec] = std::from_chars(b, e, v);
  SL_REQUIRE(ec == std::errc() && p == e, "{}: line {}, column \"{}\": \"{}\" is not a number", source, row.line, column,
             cell);
  SL_REQUIRE(std::isfinite(v), "{}: line {}, column \"{}\": {} is not a finite number", source, row.line, column, cell);
  return v;
}


Table read_table(const std::filesystem::path& path) {
  SL_REQUIRE(std::filesystem::exists(path), "{}: no such file", path.string());
  std::string text = read_file(path);
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char ch) { return std::tolower(ch); });
  if (ext == ".jsonl" || ext == ".ndjson" || ext == ".json") return parse_jsonl_table(text, path.string());
  return parse_csv_table(text, path.string());
}

}  // namespace scalelab::fit
