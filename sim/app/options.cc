#include "sim/app/options.h"

#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "sim/util/atomic_file.h"
#include "traces/formats/format.h"

extern char** environ;

namespace pkusim::app {

po::variables_map parse(const std::string& cmd, po::options_description& opts,
                        const std::vector<std::string>& args, const char* positional) {
  opts.add_options()("help,h", "show this help");
  po::positional_options_description pos;
  if (positional && *positional) pos.add(positional, -1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(opts).positional(pos).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw UsageError(fmt::format("pkusim {}: {} (pkusim {} --help)", cmd, e.what(), cmd));
  }
  return vm;
}

bool help(const po::variables_map& vm, const po::options_description& opts,
          const std::string& usage) {
  if (!vm.count("help")) return false;
  std::cout << "usage: " << usage << "\n\n" << opts << "\n";
  return true;
}

void add_config_options(po::options_description& opts) {
  opts.add_options()("config,c", po::value<std::string>(),
                     "configuration: a JSON file or a preset name (default: skylake-sp; "
                     "pkusim config list)")(
      "set", po::value<std::vector<std::string>>()->composing(),
      "override one parameter, e.g. --set core.rob_entries=128 (repeatable)");
}

sim::Config load_config(const po::variables_map& vm) {
  sim::Config cfg = vm.count("config") ? sim::Config::load(vm["config"].as<std::string>())
                                       : sim::Config::preset(sim::kDefaultPreset);
  if (vm.count("set")) {
    for (const std::string& s : vm["set"].as<std::vector<std::string>>()) cfg.set(s);
  }
  cfg.validate();
  return cfg;
}

void add_format_option(po::options_description& opts) {
  opts.add_options()(
      "format", po::value<std::string>()->default_value(""),
      fmt::format("trace format: {} (default: recognized from the content)", traces::format_names())
          .c_str());
}

std::string format_option(const po::variables_map& vm) { return vm["format"].as<std::string>(); }

void check_output(const std::string& path) {
  if (path == "-") return;
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_directory(path, ec)) throw OutputError(path + ": is a directory");
  fs::path dir = fs::path(path).parent_path();
  if (dir.empty()) dir = ".";
  if (!fs::is_directory(dir, ec)) {
    throw OutputError(
        fmt::format("{}: cannot write: directory {} does not exist", path, dir.string()));
  }
  if (::access(dir.c_str(), W_OK) != 0) {
    throw OutputError(fmt::format("{}: cannot write: {}", path, std::strerror(errno)));
  }
}

void write_output(const std::string& path, const std::string& text) {
  try {
    sim::write_file_atomic(path, text);
  } catch (const std::runtime_error& e) {
    throw OutputError(e.what());
  }
}

std::string output_format(const std::string& path, const std::string& to) {
  std::string f = to;
  if (f.empty()) f = path.size() > 4 && path.ends_with(".pkb") ? "binary" : "text";
  const traces::TraceFormat* tf = traces::find_format(f);
  if (!tf || !tf->write) {
    throw UsageError(fmt::format("--to {}: expected {}", f, traces::format_names(true)));
  }
  return f;
}

uint64_t write_records(traces::RecordSource& source, const std::string& path,
                       const std::string& format, std::vector<std::string>& notes) {
  const traces::TraceFormat* tf = traces::find_format(format);
  check_output(path);
  const std::string tmp = path == "-" ? "" : path + ".tmp." + std::to_string(::getpid());
  std::ofstream file;
  if (!tmp.empty()) {
    file.open(tmp, std::ios::binary);
    if (!file) throw OutputError(fmt::format("{}: cannot write: {}", path, std::strerror(errno)));
  }
  std::ostream& out = tmp.empty() ? std::cout : file;
  uint64_t records = 0;
  try {
    std::unique_ptr<traces::RecordWriter> w = tf->write(out, source.traits(), path);
    while (const isa::Instr* rec = source.pull()) {
      w->write(*rec);
      ++records;
    }
    w->close();
    notes = w->notes();
    out.flush();
    if (!out) throw OutputError(fmt::format("{}: write failed", path));
  } catch (...) {
    if (!tmp.empty()) std::remove(tmp.c_str());
    throw;
  }
  if (!tmp.empty()) {
    file.close();
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
      const int err = errno;
      std::remove(tmp.c_str());
      throw OutputError(fmt::format("{}: cannot write: {}", path, std::strerror(err)));
    }
  }
  return records;
}

void Heartbeat::progress(const sim::Progress& p) {
  const double mips = p.wall_seconds > 0 ? double(p.instructions) / p.wall_seconds / 1e6 : 0;
  std::string where;
  if (p.bytes_total > 0) {
    const double frac = double(p.bytes_read) / double(p.bytes_total);
    where = fmt::format(", {:.0f}% of input", 100 * frac);
    if (frac > 0.001) where += fmt::format(", ETA {:.0f} s", p.wall_seconds * (1 - frac) / frac);
  }
  std::fprintf(stderr, "\r[pkusim] %.1f M instructions, %.2f MIPS%s   ",
               double(p.instructions) / 1e6, mips, where.c_str());
  std::fflush(stderr);
  shown_ = true;
}

void Heartbeat::finished(const sim::Progress&) {
  if (shown_) std::fprintf(stderr, "\n");
}

sim::RunObserver* heartbeat_if_interactive(bool quiet, Heartbeat& hb) {
  return !quiet && ::isatty(STDERR_FILENO) ? &hb : nullptr;
}

}  // namespace pkusim::app

namespace pkusim::app {

namespace {
double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
}  // namespace

std::string python_interpreter() {
  if (const char* p = std::getenv("PKUSIM_PYTHON"); p && *p) return p;
  return ::access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
}

std::string plot_tools_dir() {
  if (const char* p = std::getenv("PKUSIM_PLOT_DIR"); p && *p) return p;
  return PKUSIM_PLOT_DIR;
}

std::string tool_path(const char* env, const char* built, const char* name) {
  if (const char* p = std::getenv(env); p && *p) return p;
  std::error_code ec;
  if (built && *built && std::filesystem::exists(built, ec)) return built;
  return name;
}

std::string time_text(double ns) {
  if (ns >= 1e6) return fmt::format("{:.2f} ms", ns / 1e6);
  if (ns >= 1e3) return fmt::format("{:.2f} us", ns / 1e3);
  if (ns >= 10) return fmt::format("{:.1f} ns", ns);
  return fmt::format("{:.2f} ns", ns);
}

int run_process(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid;
  if (::posix_spawnp(&pid, argv[0], nullptr, nullptr, argv.data(), environ) != 0) return 127;
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid) return 127;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

RunsProgress::RunsProgress(std::string command, bool quiet, size_t total, unsigned workers)
    : command_(std::move(command)),
      tty_(!quiet && ::isatty(2)),
      quiet_(quiet),
      total_(total),
      workers_(workers),
      start_(now_seconds()) {}

void RunsProgress::update(size_t done, bool failed) {
  failed_ += failed;
  if (quiet_ || total_ == 0) return;
  const double secs = now_seconds() - start_;
  const double rate = secs > 0 ? double(done) / secs : 0;
  const double eta = rate > 0 ? double(total_ - done) / rate : 0;
  const size_t running = std::min<size_t>(workers_, total_ - done);
  const std::string line =
      fmt::format("[pkusim {}] {}/{} runs done, {} running, {} failed, {:.1f} runs/s, ETA {:.0f} s",
                  command_, done, total_, running, failed_, rate, eta);
  if (tty_) {
    std::cerr << "\r" << line << "\033[K" << std::flush;
  } else if (done == total_ || done * 10 / total_ != (done - 1) * 10 / total_) {
    std::cerr << line << "\n";
  }
}

void RunsProgress::end() {
  if (tty_) std::cerr << "\r\033[K";
}

double RunsProgress::seconds() const { return now_seconds() - start_; }

}  // namespace pkusim::app
