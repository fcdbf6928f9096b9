// scalelab: train GPT ladders, fit scaling laws, forecast and allocate compute.
// Subcommands live one per file in this folder (cli/command.h).
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>

#include "core/simd_path.h"
#include "cli/command.h"
#include "core/error.h"

namespace scalelab::cli {

std::vector<CommandSetup>& command_registry() {
  static std::vector<CommandSetup> registry;
  return registry;
}

int& command_exit_code() {
  static int code = kExitOk;
  return code;
}

}  // namespace scalelab::cli

int main(int argc, char** argv) {
  using namespace scalelab;
  CLI::App app{"scalelab: a laboratory for neural scaling laws"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "scalelab 0.1.0");
  for (auto setup : cli::command_registry()) setup(app);
  try {
    simd::apply_env();  // SCALELAB_SIMD pins the CPU kernels' SIMD path (child runs inherit it)
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // CLI11's own exit codes are non-zero for errors; map those to our input-error code.
    int rc = app.exit(e);
    return rc == 0 ? 0 : kExitInputError;
  } catch (const InputError& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return kExitInputError;
  } catch (const InternalError& e) {
    fmt::print(stderr, "internal error: {}\n", e.what());
    return kExitInternalError;
  } catch (const std::exception& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return kExitInternalError;
  }
  return cli::command_exit_code();
}
