#pragma once

// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <exception>
#include <memory>
#include <vector>

// Runs coroutines concurrently on the current executor and resumes when all
// have finished (Boost 1.74 has no parallel_group). Single-threaded executor:
// the tasks share state without locks.
namespace kse::kafka {

inline boost::asio::awaitable<void> when_all(std::vector<boost::asio::awaitable<void>> tasks) {
  auto executor = co_await boost::asio::this_coro::executor;
  if (tasks.empty()) co_return;
  struct State {
    explicit State(boost::asio::any_io_executor ex) : done(ex) {}
    boost::asio::steady_timer done;
    size_t remaining = 0;
    std::exception_ptr first_error;
  };
  auto state = std::make_shared<State>(executor);
  state->done.expires_at(boost::asio::steady_timer::time_point::max());
  state->remaining = tasks.size();
  for (auto& task : tasks) {
    boost::asio::co_spawn(executor, std::move(task), [state](std::exception_ptr error) {
      if (error && !state->first_error) state->first_error = error;
      if (--state->remaining == 0) state->done.cancel();
    });
  }
  boost::system::error_code ignored;
  while (state->remaining > 0) {
    co_await state->done.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ignored));
  }
  if (state->first_error) std::rethrow_exception(state->first_error);
}

}  // namespace kse::kafka
