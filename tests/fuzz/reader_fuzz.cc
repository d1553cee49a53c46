// libFuzzer target for a trace reader, chosen at build time (PKUSIM_FUZZ_READER):
// any bytes must give records or a TraceError, never a crash or a hang.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "isa/instr.h"
#include "traces/formats/binary.h"
#include "traces/formats/champsim.h"
#include "traces/formats/lackey.h"
#include "traces/formats/text_reader.h"
#include "traces/trace_error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  try {
    PKUSIM_FUZZ_READER reader(in, "fuzz");
    pkusim::isa::Instr rec;
    for (int n = 0; n < 1000000 && reader.next(rec); ++n) {
      if (rec.op == pkusim::isa::Op::kLoad && rec.size == 0) __builtin_trap();  // sizes are 1..64
    }
  } catch (const pkusim::traces::TraceError&) {
  }
  return 0;
}
