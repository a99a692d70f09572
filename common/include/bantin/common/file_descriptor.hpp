#pragma once
// The one owner of a POSIX file descriptor.
//
// FileDescriptor closes what it holds when it goes out of scope; it moves but never copies.
// A negative value means "holds nothing" (what a failed open() returns), so the usual
// pattern is `FileDescriptor file{::open(...)}; if (!file.valid()) ... errno ...`.
// close() closes now and returns close()'s own result: a late write error (NFS, a full
// disk under delayed allocation) shows there and nowhere else, so code that wrote data
// must call it and check. Not thread-safe; one owner at a time.

#include <unistd.h>

#include <utility>

namespace bantin {

class FileDescriptor {
public:
    FileDescriptor() = default;
    explicit FileDescriptor(int descriptor) : m_descriptor(descriptor) {}
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;
    FileDescriptor(FileDescriptor&& other) noexcept : m_descriptor(std::exchange(other.m_descriptor, -1)) {}
    FileDescriptor& operator=(FileDescriptor&& other) noexcept {
        if (this != &other) {
            reset();
            m_descriptor = std::exchange(other.m_descriptor, -1);
        }
        return *this;
    }
    ~FileDescriptor() { reset(); }

    int get() const { return m_descriptor; }
    bool valid() const { return m_descriptor >= 0; }

    // Closes now; returns 0, or -1 with errno set by close(). Holds nothing afterwards.
    int close() {
        if (m_descriptor < 0)
            return 0;
        return ::close(std::exchange(m_descriptor, -1));
    }

    // Gives the descriptor away: the caller closes it.
    int release() { return std::exchange(m_descriptor, -1); }

private:
    void reset() {
        if (m_descriptor >= 0)
            ::close(std::exchange(m_descriptor, -1));
    }

    int m_descriptor = -1;
};

}  // namespace bantin
