// The library guard, the reconnect backoff and the socket questions of the MQTT client: the
// parts of mqtt_client.cpp that hold no client state.

#include "bantin/protocol/mqtt_client.hpp"
#include "mqtt_socket.hpp"

#include <mosquitto.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cmath>

namespace bantin::protocol {

MosquittoLibrary::MosquittoLibrary() {
    mosquitto_lib_init();
}
MosquittoLibrary::~MosquittoLibrary() {
    mosquitto_lib_cleanup();
}

std::chrono::milliseconds reconnect_delay(unsigned failed_attempts, std::chrono::milliseconds minimum,
                                          std::chrono::milliseconds maximum, double unit) {
    const double exponent = std::min(failed_attempts, 40u);
    const double ceiling = std::min(static_cast<double>(maximum.count()),
                                    static_cast<double>(minimum.count()) * std::pow(2.0, exponent));
    const double clamped_unit = std::clamp(unit, 0.0, 1.0);
    return std::chrono::milliseconds(static_cast<std::int64_t>(ceiling / 2.0 + clamped_unit * ceiling / 2.0));
}

ReconnectBackoff::ReconnectBackoff(std::chrono::milliseconds minimum, std::chrono::milliseconds maximum,
                                   std::chrono::milliseconds stable_period)
    : m_minimum(minimum), m_maximum(maximum), m_stable_period(stable_period) {}

void ReconnectBackoff::connected(MonotonicTime now) {
    m_connected_since = now;
}

std::chrono::milliseconds ReconnectBackoff::next_delay(MonotonicTime now, double unit) {
    if (m_connected_since && now - *m_connected_since >= m_stable_period) {
        m_failed_attempts = 0;
    }
    m_connected_since.reset();
    const auto delay = reconnect_delay(m_failed_attempts, m_minimum, m_maximum, unit);
    m_failed_attempts = std::min(m_failed_attempts + 1, 64u);
    return delay;
}

namespace detail {

bool is_connection_errno(int error_number) {
    switch (error_number) {
        case ECONNREFUSED:
        case ECONNRESET:
        case ECONNABORTED:
        case ETIMEDOUT:
        case EHOSTUNREACH:
        case ENETUNREACH:
        case EHOSTDOWN:
        case ENETDOWN: return true;
        default: return false;
    }
}

bool tcp_connection_closed(mosquitto* handle) {
    const int descriptor = mosquitto_socket(handle);
    if (descriptor < 0) {
        return false;
    }
    tcp_info info{};
    socklen_t length = sizeof info;
    if (::getsockopt(descriptor, IPPROTO_TCP, TCP_INFO, &info, &length) != 0) {
        return false;
    }
    if (info.tcpi_state != TCP_CLOSE) {
        return false;
    }
    // Bytes still queued (a TLS alert sent before the reset) are read by the next loop,
    // which then reports the TLS failure itself.
    int pending = 0;
    return ::ioctl(descriptor, FIONREAD, &pending) == 0 && pending == 0;
}

}  // namespace detail

}  // namespace bantin::protocol
