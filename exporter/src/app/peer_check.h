#pragma once

// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <string>

// Sidecar mode: is another broker's sidecar alive? Its /healthz answers 200 within the
// timeout. A dead sidecar refuses the connection; a hung one accepts it and never answers.
namespace kse::app {

boost::asio::awaitable<bool> sidecar_answers(std::string host, int port, std::chrono::milliseconds timeout);

}  // namespace kse::app
