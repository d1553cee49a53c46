// libFuzzer target for a trace format's reader, chosen at build time by
// name (PKUSIM_FUZZ_FORMAT, a name in the format registry): any bytes must
// give records or a TraceError, never a crash or a hang.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "isa/instr.h"
#include "traces/formats/format.h"
#include "traces/trace_error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const pkusim::traces::TraceFormat* format =
      pkusim::traces::find_format(PKUSIM_FUZZ_FORMAT);
  if (!format) __builtin_trap();
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  try {
    auto reader = format->open(in, "fuzz");
    pkusim::isa::Instr rec;
    for (int n = 0; n < 1000000 && reader->next(rec); ++n) {
      if (rec.op == pkusim::isa::Op::kLoad && rec.size == 0) __builtin_trap();  // sizes are 1..64
    }
  } catch (const pkusim::traces::TraceError&) {
  }
  return 0;
}
