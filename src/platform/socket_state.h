// Noticing that the client of a request has gone away while its handler waits on the
// generation: the handler polls its connection's socket (HttpRequest::fd) for the peer's
// hang-up, so a vanished client cancels its job and frees the slot. Linux: poll(POLLRDHUP)
// (socket_state_linux.cpp); Windows: a non-blocking MSG_PEEK recv (socket_state_windows.cpp).
#pragma once

namespace tern {

// True if the peer closed (or reset) the connection on fd. Never blocks, reads nothing.
// (fd is the socket's native handle; Windows SOCKET values fit an int in practice.)
bool peer_hung_up(int fd);

}  // namespace tern
