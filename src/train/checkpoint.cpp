#include "train/checkpoint.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <type_traits>

#include "core/atomic_file.h"
#include "core/error.h"
#include "train/run_config.h"

namespace scalelab {

static_assert(std::endian::native == std::endian::little, "checkpoints are little endian");

uint64_t fnv1a64(const void* data, size_t bytes, uint64_t h) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < bytes; ++i) {
    h ^= p[i];
    h *= 0x100000001b3ull;
  }
  return h;
}

namespace {

uint64_t model_hash(const Json& config) {
  const std::string s = config.contains("model") ? config.at("model").dump() : std::string("null");
  return fnv1a64(s.data(), s.size());
}

class Writer {
 public:
  template <class T>
  void put(T v) {
    static_assert(std::is_trivially_copyable_v<T>);
    buf_.append(reinterpret_cast<const char*>(&v), sizeof(T));
  }
  void put_bytes(const std::string& s) {
    put<uint64_t>(s.size());
    buf_.append(s);
  }
  void put_floats(const std::vector<float>& v) {
    buf_.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
  }
  std::string& buffer() { return buf_; }

 private:
  std::string buf_;
};

// Reads fields off the file's bytes; every read names the file when the bytes run out.
class Reader {
 public:
  Reader(const std::string& buf, const std::filesystem::path& path) : buf_(buf), path_(path) {}
  template <class T>
  T get(const char* what) {
    need(sizeof(T), what);
    T v;
    std::memcpy(&v, buf_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  std::string get_bytes(const char* what) {
    const auto n = get<uint64_t>(what);
    need(n, what);
    std::string s = buf_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  std::vector<float> get_floats(uint64_t n, const char* what) {
    SL_REQUIRE(n <= (buf_.size() - pos_) / sizeof(float),
               "{}: truncated checkpoint ({} ends early); the file is damaged, delete it to start over",
               path_.string(), what);
    std::vector<float> v(n);
    std::memcpy(v.data(), buf_.data() + pos_, n * sizeof(float));
    pos_ += n * sizeof(float);
    return v;
  }
  size_t pos() const { return pos_; }

 private:
  void need(uint64_t n, const char* what) const {
    SL_REQUIRE(n <= buf_.size() - pos_,
               "{}: truncated checkpoint ({} ends early); the file is damaged, delete it to start over",
               path_.string(), what);
  }
  const std::string& buf_;
  const std::filesystem::path& path_;
  size_t pos_ = 0;
};

}  // namespace

void write_checkpoint(const std::filesystem::path& path, const Checkpoint& ck) {
  SL_ASSERT(ck.m.size() == ck.params.size() && ck.v.size() == ck.params.size());
  Writer w;
  w.put<uint32_t>(kCheckpointMagic);
  w.put<uint32_t>(kCheckpointVersion);
  w.put_bytes(ck.config.dump());
  w.put<uint64_t>(model_hash(ck.config));
  w.put<int64_t>(ck.step);
  w.put<uint64_t>(ck.loader.epoch);
  w.put<uint64_t>(ck.loader.index);
  w.put<int64_t>(ck.tokens_trained);
  w.put<double>(ck.wall_seconds);
  w.put<double>(ck.train_seconds);
  w.put<uint64_t>(ck.params.size());
  w.put_floats(ck.params);
  w.put_floats(ck.m);
  w.put_floats(ck.v);
  w.put_bytes(ck.metrics);
  const uint64_t sum = fnv1a64(w.buffer().data(), w.buffer().size());
  w.put<uint64_t>(sum);
  write_file_atomic(path, w.buffer());
}

Checkpoint read_checkpoint(const std::filesystem::path& path) {
  const std::string buf = read_file(path);
  const std::string name = path.string();
  Reader r(buf, path);
  const auto magic = r.get<uint32_t>("magic");
  SL_REQUIRE(magic == kCheckpointMagic,
             "{}: not a scalelab checkpoint (magic 0x{:08X}, expected 0x{:08X}); point --out at a run "
             "directory or remove the file",
             name, magic, kCheckpointMagic);
  const auto version = r.get<uint32_t>("version");
  SL_REQUIRE(version == kCheckpointVersion,
             "{}: checkpoint format version {}, this scalelab reads version {}; resume it with the "
             "scalelab that wrote it, or start a fresh run in another --out directory",
             name, version, kCheckpointVersion);
  Checkpoint ck;
  const std::string config_text = r.get_bytes("config");
  try {
    ck.config = Json::parse(config_text);
  } catch (const Json::exception& e) {
    throw InputError(fmt::format("{}: damaged checkpoint (config is not JSON: {})", name, e.what()));
  }
  const auto hash = r.get<uint64_t>("model hash");
  SL_REQUIRE(hash == model_hash(ck.config), "{}: damaged checkpoint (model config hash mismatch)", name);
  ck.step = r.get<int64_t>("step");
  ck.loader.epoch = r.get<uint64_t>("loader epoch");
  ck.loader.index = r.get<uint64_t>("loader index");
  ck.tokens_trained = r.get<int64_t>("tokens");
  ck.wall_seconds = r.get<double>("wall seconds");
  ck.train_seconds = r.get<double>("train seconds");
  const auto n = r.get<uint64_t>("parameter count");
  ck.params = r.get_floats(n, "params");
  ck.m = r.get_floats(n, "AdamW m");
  ck.v = r.get_floats(n, "AdamW v");
  ck.metrics = r.get_bytes("metrics");
  const uint64_t expect = fnv1a64(buf.data(), r.pos());
  const auto sum = r.get<uint64_t>("checksum");
  SL_REQUIRE(r.pos() == buf.size(), "{}: damaged checkpoint ({} bytes after the end)", name, buf.size() - r.pos());
  SL_REQUIRE(sum == expect, "{}: damaged checkpoint (checksum mismatch); delete it to start over", name);
  SL_REQUIRE(ck.step >= 0 && ck.tokens_trained >= 0, "{}: damaged checkpoint (negative step)", name);
  return ck;
}

void check_checkpoint_config(const std::filesystem::path& path, const Json& stored, const Json& current,
                             const std::vector<std::string>& ignored) {
  for (const auto& key : config_differences(stored, current)) {
    if (std::find(ignored.begin(), ignored.end(), key) != ignored.end()) continue;
    auto value_at = [&](const Json& j) {
      std::string ptr = "/" + key;
      std::replace(ptr.begin(), ptr.end(), '.', '/');
      const Json::json_pointer p(ptr);
      return j.contains(p) ? j.at(p).dump() : std::string("(absent)");
    };
    throw InputError(fmt::format(
        "{}: checkpoint is from another config: {} = {} there, {} now; resume with the checkpoint's "
        "config or use another --out directory",
        path.string(), key, value_at(stored), value_at(current)));
  }
}

}  // namespace scalelab
