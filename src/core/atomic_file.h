// defines: scalelab::AtomicFile, scalelab::write_file_atomic, scalelab::read_file
//
// Outputs are never half-written: bytes go to "<path>.tmp.<pid>" and a successful
// commit() renames it over <path> (rename(2) is atomic within a file system). If the
// writer is destroyed without commit() (an exception, an early return), the temp file is
// removed and <path> keeps its old content.
//
//   AtomicFile f(dir / "summary.json");
//   f.stream() << json.dump(2);
//   f.commit();
#pragma once

#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace scalelab {

class AtomicFile {
 public:
  explicit AtomicFile(std::filesystem::path path, bool binary = false);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  std::ofstream& stream() { return out_; }
  void write(const void* data, size_t bytes);
  // Flushes, fsyncs and renames over the target; throws InputError on any I/O failure.
  void commit();

 private:
  std::filesystem::path path_, tmp_;
  std::ofstream out_;
  bool committed_ = false;
};

void write_file_atomic(const std::filesystem::path& path, std::string_view content);

// Whole file as bytes; InputError naming the file if it cannot be read.
std::string read_file(const std::filesystem::path& path);

}  // namespace scalelab
