#include "traces/gen/generator.h"

namespace pkusim::traces {

// The generators, each defined in its own file of gen/.
const Generator& mmu_stress_generator();
const Generator& crypto_key_generator();
const Generator& kv_store_generator();
const Generator& pmem_generator();
const Generator& watchpoint_generator();
const Generator& gigabytes_generator();

const std::vector<const Generator*>& generators() {
  static const std::vector<const Generator*> g = {&mmu_stress_generator(), &crypto_key_generator(),
                                                  &kv_store_generator(),   &pmem_generator(),
                                                  &watchpoint_generator(), &gigabytes_generator()};
  return g;
}

}  // namespace pkusim::traces
