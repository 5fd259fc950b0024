// SPDX-License-Identifier: MIT
#include "loader_device.hpp"

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

}  // namespace vmmctl
