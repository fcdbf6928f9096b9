// defines: scalelab::Json (nlohmann::json), scalelab::write_json_atomic
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>

namespace scalelab {

using Json = nlohmann::json;

// Pretty-printed, written atomically (core/atomic_file.h).
void write_json_atomic(const std::filesystem::path& path, const Json& j);
// Parses a JSON file; InputError naming the file and the position on failure.
Json read_json_file(const std::filesystem::path& path);

}  // namespace scalelab
