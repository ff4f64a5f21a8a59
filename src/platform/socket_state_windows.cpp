// Windows: Winsock has no POLLRDHUP; a zero-timeout select for readability and a one-byte
// MSG_PEEK recv tell a closed connection (recv returns 0) or a reset one (an error other
// than WSAEWOULDBLOCK) without consuming data.
#include <winsock2.h>

#include "platform/socket_state.h"

namespace tern {

bool peer_hung_up(int fd) {
  if (fd < 0) return false;
  const SOCKET s = static_cast<SOCKET>(fd);
  fd_set readable;
  FD_ZERO(&readable);
  FD_SET(s, &readable);
  timeval zero{0, 0};
  const int ready = select(0, &readable, nullptr, nullptr, &zero);
  if (ready == SOCKET_ERROR) return WSAGetLastError() == WSAENOTSOCK;
  if (ready == 0) return false;  // nothing to read: the peer is still there
  char byte = 0;
  const int n = recv(s, &byte, 1, MSG_PEEK);
  if (n == 0) return true;
  return n == SOCKET_ERROR && WSAGetLastError() != WSAEWOULDBLOCK;
}

}  // namespace tern
