// Noticing that the client of a request has gone away while its handler waits on the
// generation: the handler polls its connection's socket (HttpRequest::fd) for the peer's
// hang-up, so a vanished client cancels its job and frees the slot.
#pragma once

namespace tern::server {

// True if the peer closed (or reset) the connection on fd. Never blocks, reads nothing.
bool peer_hung_up(int fd);

}  // namespace tern::server
