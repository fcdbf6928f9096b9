#include "core/json.h"

#include "core/atomic_file.h"
#include "core/error.h"

namespace scalelab {

void write_json_atomic(const std::filesystem::path& path, const Json& j) {
  write_file_atomic(path, j.dump(2) + "\n");
}

Json read_json_file(const std::filesystem::path& path) {
  std::string text = read_file(path);
  try {
    return Json::parse(text);
  } catch (const Json::parse_error& e) {
    throw InputError(fmt::format("{}: malformed JSON: {}", path.string(), e.what()));
  }
}

}  // namespace scalelab
