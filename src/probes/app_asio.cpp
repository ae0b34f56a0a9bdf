#include "probes/app_asio.hpp"

#include <cstring>

#include "probes/app_options.hpp"
#include "probes/emit.hpp"

namespace ss::probes::app {

tcp::endpoint to_asio(const Endpoint& e) {
  tcp::endpoint ep;
  std::memcpy(ep.data(), &e.addr, e.len);
  ep.resize(e.len);
  return ep;
}

std::string text(const tcp::endpoint& e) {
  return sockaddr_text(e.data());
}

std::string label(const boost::system::error_code& ec) {
  bool errno_value = ec.category() == boost::system::system_category() ||
                     ec.category() == boost::system::generic_category();
  return error_label(errno_value, ec.value(), ec.message());
}

std::string local_text(const tcp::socket& s) {
  boost::system::error_code ec;
  auto ep = s.local_endpoint(ec);
  return ec ? std::string{} : text(ep);
}

std::string remote_text(const tcp::socket& s) {
  boost::system::error_code ec;
  auto ep = s.remote_endpoint(ec);
  return ec ? std::string{} : text(ep);
}

bool listen_on(tcp::acceptor& acceptor, const tcp::endpoint& at, boost::system::error_code& ec) {
  acceptor.open(at.protocol(), ec);
  if (!ec) acceptor.set_option(boost::asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(at, ec);
  if (!ec) acceptor.listen(boost::asio::socket_base::max_listen_connections, ec);
  return !ec;
}

}  // namespace ss::probes::app
