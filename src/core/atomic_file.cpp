#include "core/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/error.h"

namespace scalelab {

AtomicFile::AtomicFile(std::filesystem::path path, bool binary) : path_(std::move(path)) {
  tmp_ = path_;
  tmp_ += ".tmp." + std::to_string(::getpid());
  auto mode = std::ios::out | std::ios::trunc;
  if (binary) mode |= std::ios::binary;
  out_.open(tmp_, mode);
  SL_REQUIRE(out_.good(), "{}: cannot open for writing ({})", path_.string(), std::strerror(errno));
}

AtomicFile::~AtomicFile() {
  if (!committed_) {
    out_.close();
    std::error_code ec;
    std::filesystem::remove(tmp_, ec);
  }
}

void AtomicFile::write(const void* data, size_t bytes) {
  out_.write(static_cast<const char*>(data), static_cast<std::streamsize>(bytes));
}

void AtomicFile::commit() {
  out_.flush();
  SL_REQUIRE(out_.good(), "{}: write failed ({})", path_.string(), std::strerror(errno));
  out_.close();
  // fsync so a crash after rename cannot leave an empty file under the final name.
  int fd = ::open(tmp_.c_str(), O_RDONLY);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
  std::error_code ec;
  std::filesystem::rename(tmp_, path_, ec);
  SL_REQUIRE(!ec, "{}: cannot rename temp file into place ({})", path_.string(), ec.message());
  committed_ = true;
}

void write_file_atomic(const std::filesystem::path& path, std::string_view content) {
  AtomicFile f(path, /*binary=*/true);
  f.write(content.data(), content.size());
  f.commit();
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  SL_REQUIRE(in.good(), "{}: cannot open for reading ({})", path.string(), std::strerror(errno));
  // One read of the whole size: istreambuf_iterator goes byte by byte.
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  SL_REQUIRE(size >= 0, "{}: cannot determine the file size", path.string());
  in.seekg(0, std::ios::beg);
  std::string s(static_cast<size_t>(size), '\0');
  in.read(s.data(), size);
  SL_REQUIRE(in.gcount() == size, "{}: read {} of {} bytes", path.string(), in.gcount(), size);
  return s;
}

}  // namespace scalelab
