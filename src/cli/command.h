// defines: scalelab::cli::Command, SCALELAB_COMMAND
//
// One file per subcommand. Each file registers itself, so adding a subcommand touches
// no shared file:
//
//   static void setup_info(CLI::App& app) {
//     auto* cmd = app.add_subcommand("info", "Print a model's shape and counts");
//     auto opts = std::make_shared<InfoOptions>();
//     cmd->add_option("--set", opts->sets, "section.key=value");
//     cmd->callback([opts] { run_info(*opts); });
//   }
//   SCALELAB_COMMAND(info, setup_info);
//
// Callbacks throw InputError for bad input; main() turns it into one line on stderr and
// exit code 2 (core/error.h).
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <vector>

namespace scalelab::cli {

using CommandSetup = void (*)(CLI::App&);

std::vector<CommandSetup>& command_registry();

struct CommandRegistrar {
  explicit CommandRegistrar(CommandSetup setup) { command_registry().push_back(setup); }
};

// Set by main() from the subcommand's callback when it wants a specific exit code.
int& command_exit_code();

}  // namespace scalelab::cli

#define SCALELAB_COMMAND(name, setup) \
  static ::scalelab::cli::CommandRegistrar scalelab_command_registrar_##name(setup)
