// SPDX-License-Identifier: MIT
// vmmctl's side of the loader device: /dev/microv and its ioctls.
#pragma once

#include <microv/loader_ioctl.h>

#include <string>
#include <vector>

namespace vmmctl {

/// An open handle to the loader's device node; closed when it goes.
class loader_device {
public:
    loader_device() = default;
    loader_device(const loader_device &) = delete;
    loader_device &operator=(const loader_device &) = delete;
    ~loader_device();

    /// Opens the device at path; on failure returns false and fills error with why.
    bool open(const char *path, std::string &error);

    /// Reads the raw CPU values of every online CPU; on failure returns false and fills error.
    bool cpu_info(std::vector<mv_cpu_raw> &cpus, unsigned &online, std::string &error);

    /// Sends MV_LOADER_START; req's outputs are filled also on failure. Returns 0 or an errno.
    int start(mv_loader_start &req);

    /// Sends MV_LOADER_STOP; on failure returns false and fills error.
    bool stop(std::string &error);

    /// Reads the debug ring into text; on failure returns false and fills error.
    bool dump(std::string &text, uint64_t &lost, std::string &error);

    /// Reads the loader's status; on failure returns false and fills error.
    bool status(mv_loader_status &out, std::string &error);

private:
    int m_fd{-1};
};

}  // namespace vmmctl
