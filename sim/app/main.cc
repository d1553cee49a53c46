#include "sim/app/cli.h"

int main(int argc, char** argv) { return pkusim::app::run_cli(argc, argv); }
