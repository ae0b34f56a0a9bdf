#pragma once
// Internal to the Asio-based agents (app_ws.cpp, app_http.cpp): Asio's view of addresses and
// errors. Boost.Asio only; Beast stays inside the .cpp files (it is slow to compile).
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>
#include <string>

#include "probes/tcp_probe.hpp"

namespace ss::probes::app {

using tcp = boost::asio::ip::tcp;

tcp::endpoint to_asio(const Endpoint& e);
// "ip:port" or "[ip]:port", as every agent prints addresses.
std::string text(const tcp::endpoint& e);
// The errno name for an errno value (system or generic category), else the library's message.
std::string label(const boost::system::error_code& ec);
// The local address of a socket, or "" if it has none.
std::string local_text(const tcp::socket& s);
std::string remote_text(const tcp::socket& s);
// Opens, binds (with SO_REUSEADDR) and listens; false with `ec` set on the first failure.
bool listen_on(tcp::acceptor& acceptor, const tcp::endpoint& at, boost::system::error_code& ec);

}  // namespace ss::probes::app
