#include "sim/app/command.h"

namespace pkusim::app {

const std::vector<Command>& commands() {
  static const std::vector<Command> list = {run_command(),    check_command(),    gen_command(),
                                            bench_command(),  cachesim_command(), convert_command(),
                                            config_command(), stats_command()};
  return list;
}

}  // namespace pkusim::app
