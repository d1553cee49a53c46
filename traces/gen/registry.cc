#include "traces/gen/generator.h"

namespace pkusim::traces {

// The generators, each defined in its own file of gen/.
const Generator& mmu_stress_generator();

const std::vector<const Generator*>& generators() {
  static const std::vector<const Generator*> g = {&mmu_stress_generator()};
  return g;
}

}  // namespace pkusim::traces
