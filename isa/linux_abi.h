#pragma once
// Linux x86-64 ABI facts that the trace grammar (traces/), the kernel model
// (sim/kernel) and the reports share: errno values and names, SIGSEGV
// si_code values and names, and the thread limit of a trace. Not
// architecture, but isa/ is the one layer all three include, so the facts
// are written once, here.
// Sources: include/uapi/asm-generic/errno-base.h and errno.h (errno values),
// include/uapi/asm-generic/siginfo.h (SEGV_* si_codes, SI_KERNEL).
#include <array>
#include <cstdint>
#include <string_view>

namespace pkusim::abi {

// errno values (uapi asm-generic/errno-base.h).
inline constexpr int kEperm = 1;
inline constexpr int kEnoent = 2;
inline constexpr int kEnomem = 12;
inline constexpr int kEacces = 13;
inline constexpr int kEfault = 14;
inline constexpr int kEbusy = 16;
inline constexpr int kEexist = 17;
inline constexpr int kEinval = 22;
inline constexpr int kEnospc = 28;
/// errno values are below this (the reports keep a counter per value).
inline constexpr int kErrnoLimit = 64;

struct ErrnoName {
  std::string_view name;
  int value;
};
/// The errno names a trace's `expect errno` may use.
inline constexpr std::array<ErrnoName, 9> kErrnoNames = {{{"EPERM", kEperm},
                                                          {"ENOENT", kEnoent},
                                                          {"EFAULT", kEfault},
                                                          {"EBUSY", kEbusy},
                                                          {"EEXIST", kEexist},
                                                          {"EINVAL", kEinval},
                                                          {"ENOSPC", kEnospc},
                                                          {"ENOMEM", kEnomem},
                                                          {"EACCES", kEacces}}};

/// The value of an errno name, or 0 if it is not one of kErrnoNames.
constexpr int errno_from_name(std::string_view name) {
  for (const ErrnoName& e : kErrnoNames) {
    if (e.name == name) return e.value;
  }
  return 0;
}
/// The name of an errno value, or "" if it is not one of kErrnoNames.
constexpr std::string_view errno_name(int value) {
  for (const ErrnoName& e : kErrnoNames) {
    if (e.value == value) return e.name;
  }
  return {};
}

// SIGSEGV si_code values (uapi asm-generic/siginfo.h).
inline constexpr int kSegvMaperr = 1;
inline constexpr int kSegvAccerr = 2;
inline constexpr int kSegvPkuerr = 4;
inline constexpr int kSiKernel = 0x80;  // #GP: a non-canonical address

/// The si_codes a fault can have, in report order, with their names.
struct SiCodeName {
  std::string_view name;
  int value;
};
inline constexpr std::array<SiCodeName, 4> kSiCodes = {{{"SEGV_MAPERR", kSegvMaperr},
                                                        {"SEGV_ACCERR", kSegvAccerr},
                                                        {"SEGV_PKUERR", kSegvPkuerr},
                                                        {"SI_KERNEL", kSiKernel}}};
/// The position of `si_code` in kSiCodes (kSiCodes.size() if unknown).
constexpr unsigned si_code_index(int si_code) {
  for (unsigned i = 0; i < kSiCodes.size(); ++i) {
    if (kSiCodes[i].value == si_code) return i;
  }
  return unsigned(kSiCodes.size());
}
constexpr std::string_view si_code_name(int si_code) {
  const unsigned i = si_code_index(si_code);
  return i < kSiCodes.size() ? kSiCodes[i].name : std::string_view("?");
}

/// Thread ids a trace may use: 0 to kMaxThreads - 1 (the trace format's limit).
inline constexpr unsigned kMaxThreads = 1024;

}  // namespace pkusim::abi
