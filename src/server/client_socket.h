// Noticing that the client of a non-streaming request has gone away. Debian's
// cpp-httplib 0.11 gives a handler neither the socket nor an is_connection_closed(), so
// the handler finds its connection's descriptor by its addresses (the peer address and
// port plus the local port identify one TCP connection; httplib keeps that descriptor
// open until the handler returns) and polls it for the peer's hang-up.
#pragma once
#include <string>

namespace tern::server {

// The descriptor of this process's TCP connection from remote_addr:remote_port to
// local_port, or -1 if there is none (or /proc/self/fd cannot be read).
int find_connection_fd(const std::string& remote_addr, int remote_port, int local_port);

// True if the peer closed (or reset) the connection on fd. Never blocks, reads nothing.
bool peer_hung_up(int fd);

}  // namespace tern::server
