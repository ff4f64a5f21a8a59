// Linux: poll for POLLRDHUP (the peer shut down its side) without reading.
#include "platform/socket_state.h"

#include <poll.h>

namespace tern {

bool peer_hung_up(int fd) {
  if (fd < 0) return false;
  pollfd p{};
  p.fd = fd;
  p.events = POLLRDHUP;
  if (poll(&p, 1, 0) <= 0) return false;
  return (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) != 0;
}

}  // namespace tern
