// SPDX-License-Identifier: MIT
#include "loader_device.hpp"

#include <microv/mk_boot.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

namespace vmmctl {

loader_device::~loader_device()
{
    if (m_fd >= 0) {
        ::close(m_fd);
    }
}

bool loader_device::open(const char *path, std::string &error)
{
    m_fd = ::open(path, O_RDWR | O_CLOEXEC);
    if (m_fd >= 0) {
        return true;
    }
    error = std::string("cannot open ") + path + ": " + std::strerror(errno);
    if (errno == ENOENT) {
        error += " (is the microv_loader module loaded?)";
    }
    return false;
}

bool loader_device::cpu_info(std::vector<mv_cpu_raw> &cpus, unsigned &online, std::string &error)
{
    // CPUs can come online between the two calls: ask again, a few times, when the buffer is short.
    uint32_t capacity = 0;
    for (int attempt = 0; attempt < 4; ++attempt) {
        cpus.assign(capacity, mv_cpu_raw{});
        mv_loader_cpu_info req{};
        req.abi_version = MV_LOADER_ABI_VERSION;
        req.capacity = capacity;
        req.cpus = reinterpret_cast<uintptr_t>(cpus.data());

        if (::ioctl(m_fd, MV_LOADER_CPU_INFO, &req) == 0) {
            cpus.resize(req.count);
            online = req.online;
            return true;
        }
        if (errno != ENOSPC || req.online > MV_LOADER_MAX_CPUS) {
            error = std::string("MV_LOADER_CPU_INFO failed: ") + std::strerror(errno);
            return false;
        }
        capacity = req.online;
    }
    error = "MV_LOADER_CPU_INFO: the set of online CPUs kept changing";
    return false;
}

int loader_device::start(mv_loader_start &req) { return ::ioctl(m_fd, MV_LOADER_START, &req) == 0 ? 0 : errno; }

bool loader_device::stop(std::string &error)
{
    if (::ioctl(m_fd, MV_LOADER_STOP) == 0) {
        return true;
    }
    error = errno == ENODEV ? "MicroV is not running" : std::string("MV_LOADER_STOP failed: ") + std::strerror(errno);
    return false;
}

bool loader_device::dump(std::string &text, uint64_t &lost, std::string &error)
{
    text.assign(MV_DEBUG_RING_SIZE, '\0');
    mv_loader_dump req{};
    req.abi_version = MV_LOADER_ABI_VERSION;
    req.capacity = static_cast<uint32_t>(text.size());
    req.buf = reinterpret_cast<uintptr_t>(text.data());
    if (::ioctl(m_fd, MV_LOADER_DUMP, &req) != 0) {
        error = std::string("MV_LOADER_DUMP failed: ") + std::strerror(errno);
        return false;
    }
    text.resize(req.copied);
    lost = req.lost;
    return true;
}

bool loader_device::status(mv_loader_status &out, std::string &error)
{
    out = mv_loader_status{};
    out.abi_version = MV_LOADER_ABI_VERSION;
    if (::ioctl(m_fd, MV_LOADER_STATUS, &out) != 0) {
        error = std::string("MV_LOADER_STATUS failed: ") + std::strerror(errno);
        return false;
    }
    return true;
}

}  // namespace vmmctl
