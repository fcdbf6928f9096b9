// defines: scalelab::fit::TableRow, Table, parse_csv_table, parse_jsonl_table, read_table,
//          list_columns, find_column, parse_number
//
// A data file as a table of text cells, read once and shared by the readers of
// observations (observations_io.h) and of training curves (schedule_law.h): a header
// and rows, each row remembering the line it starts on, so every error names the file,
// the line and the column.
//
//   Table t = read_table("runs.csv");              // .jsonl/.ndjson/.json: JSON lines
//   long i = find_column(t, "", "loss", "loss", "runs.csv", true);
//   double v = parse_number(t.rows[0].cells[i], "runs.csv", t.rows[0], "loss");
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace scalelab::fit {

struct TableRow {
  size_t line = 0;  // 1-based line in the file where the row starts
  std::vector<std::string> cells;
};

struct Table {
  std::vector<std::string> header;
  std::vector<TableRow> rows;
};

// RFC 4180: fields separated by ',', records by CRLF or LF; a field in double quotes may
// hold ',', newlines and "" (one quote). Unquoted fields are trimmed of blanks.
Table parse_csv_table(std::string_view text, const std::string& source);
// One JSON object per line; the header is the union of keys in order of first sight.
Table parse_jsonl_table(std::string_view text, const std::string& source);
// The file by its extension (.jsonl, .ndjson, .json: JSON lines; else CSV); InputError
// when it does not exist.
Table read_table(const std::filesystem::path& path);

// "\"a\", \"b\"": the header, for error messages.
std::string list_columns(const Table& t);
// Index of the column named `given` (or `dflt` when `given` is empty); -1 when it is
// absent and neither required nor named explicitly, else InputError naming the role.
long find_column(const Table& t, const std::string& given, const char* dflt, const char* role, const std::string& source,
                 bool required);
// A finite number, or InputError naming the file, line and column.
double parse_number(const std::string& cell, const std::string& source, const TableRow& row, const std::string& column);

}  // namespace scalelab::fit
