#pragma once
// What the MQTT client asks of its TCP socket, apart from libmosquitto: whether an errno is
// the connection itself failing, and whether the socket is closed with nothing left to read.

struct mosquitto;

namespace bantin::protocol::detail {

// Errors of the TCP connection itself (as opposed to EAGAIN, EPIPE on an already dead socket).
bool is_connection_errno(int error_number);

// True when the handle's TCP socket exists, is closed (the connect was refused or the
// connection reset; a pending connect is SYN_SENT, a peer's orderly close CLOSE_WAIT) and
// has nothing left to read.
bool tcp_connection_closed(mosquitto* handle);

}  // namespace bantin::protocol::detail
