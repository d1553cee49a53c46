#include <algorithm>

#include "traces/formats/format.h"

namespace pkusim::traces {

// The formats, each defined in its own file of formats/.
const TraceFormat& text_format();
const TraceFormat& binary_format();
const TraceFormat& lackey_format();
const TraceFormat& champsim_format();

const std::vector<const TraceFormat*>& trace_formats() {
  // Recognition order: formats with a magic number first, text last.
  static const std::vector<const TraceFormat*> formats = {&binary_format(), &lackey_format(),
                                                          &champsim_format(), &text_format()};
  return formats;
}

const TraceFormat* find_format(std::string_view name) {
  for (const TraceFormat* f : trace_formats()) {
    if (f->name == name) return f;
  }
  return nullptr;
}

std::string format_names(bool writable_only) {
  // Listed in the order people know them: text first.
  std::vector<std::string_view> names;
  for (const TraceFormat* f : trace_formats()) {
    if (!writable_only || f->write) names.push_back(f->name);
  }
  std::stable_partition(names.begin(), names.end(), [](std::string_view n) { return n == "text"; });
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i) out += i + 1 == names.size() ? " or " : ", ";
    out += names[i];
  }
  return out;
}

}  // namespace pkusim::traces
