#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "support/test_support.h"

namespace kse::test {

// The exporter binary running in the background for one test, stopped with SIGTERM.
class ExporterProcess {
 public:
  explicit ExporterProcess(std::vector<std::string> arguments, const std::string& log_file) {
    const std::string binary = build_dir() + "/exporter/kafka-sidecar-exporter";
    pid_ = fork();
    if (pid_ == 0) {
      FILE* log = freopen(log_file.c_str(), "w", stdout);
      (void)log;
      dup2(fileno(stdout), fileno(stderr));
      std::vector<char*> argv;
      argv.push_back(const_cast<char*>(binary.c_str()));
      for (auto& argument : arguments) argv.push_back(argument.data());
      argv.push_back(nullptr);
      execv(binary.c_str(), argv.data());
      _exit(127);
    }
  }
  ~ExporterProcess() { stop(); }

  // Exit code after SIGTERM (0 for a clean stop).
  int stop() {
    if (pid_ <= 0) return exit_code_;
    kill(pid_, SIGTERM);
    int status = 0;
    for (int i = 0; i < 100; ++i) {
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        return exit_code_;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    kill(pid_, SIGKILL);
    waitpid(pid_, &status, 0);
    pid_ = -1;
    exit_code_ = -9;
    return exit_code_;
  }

  // Polls /ready on `port` until it answers 200 or `timeout` passes.
  static bool wait_ready(int port, std::chrono::seconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      auto result = run_command("curl -sf -m 2 http://127.0.0.1:" + std::to_string(port) + "/ready");
      if (result.exit_code == 0) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
    return false;
  }

 private:
  pid_t pid_ = -1;
  int exit_code_ = -1;
};

}  // namespace kse::test
