// libFuzzer target for the config loader: any bytes must give a valid config
// or a ConfigError, never a crash, a hang or another exception.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "sim/config/config.h"
#include "sim/timing/params.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    pkusim::sim::Config cfg = pkusim::sim::Config::defaults();
    cfg.overlay_text(text, "fuzz");
    cfg.validate();
    (void)pkusim::sim::timing_params(cfg);
  } catch (const pkusim::sim::ConfigError&) {
  }
  return 0;
}
