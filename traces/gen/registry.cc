#include "traces/gen/generator.h"

namespace pkusim::traces {

const std::vector<const Generator*>& generators() {
  static const std::vector<const Generator*> g = {&mmu_stress_generator()};
  return g;
}

}  // namespace pkusim::traces
