#include "sim/app/command.h"

namespace pkusim::app {

// The commands, each defined in commands/NAME.cc.
Command run_command();
Command check_command();
Command gen_command();
Command bench_command();
Command cachesim_command();
Command convert_command();
Command config_command();
Command stats_command();
Command compare_command();
Command study_command();
Command sweep_command();
Command plot_command();
Command calibrate_command();
Command validate_command();

const std::vector<Command>& commands() {
  static const std::vector<Command> list = {
      study_command(),     run_command(),      compare_command(), sweep_command(), plot_command(),
      calibrate_command(), validate_command(), check_command(),   gen_command(),   bench_command(),
      cachesim_command(),  convert_command(),  config_command(),  stats_command()};
  return list;
}

}  // namespace pkusim::app
