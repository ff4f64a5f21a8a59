// macOS: poll has no POLLRDHUP, so peek: a readable socket whose non-blocking MSG_PEEK recv
// returns 0 has reached the end of the peer's stream (it shut down or closed); pending bytes
// (a pipelined request) or EAGAIN mean it is still there. Nothing is consumed.
#include "platform/socket_state.h"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>

namespace tern {

bool peer_hung_up(int fd) {
  if (fd < 0) return false;
  pollfd p{};
  p.fd = fd;
  p.events = POLLIN;
  if (poll(&p, 1, 0) <= 0) return false;
  if ((p.revents & (POLLHUP | POLLERR | POLLNVAL)) != 0) return true;
  if ((p.revents & POLLIN) == 0) return false;
  char byte = 0;
  const ssize_t n = recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

}  // namespace tern
