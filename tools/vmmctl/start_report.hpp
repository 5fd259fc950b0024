// SPDX-License-Identifier: MIT
// `vmmctl start`: its options, and what it says about the loader's answer.
#pragma once

#include <microv/loader_ioctl.h>

#include <string>
#include <vector>

namespace vmmctl {

/// The options of `vmmctl start`.
struct start_options {
    std::string kernel;  // the flat microkernel image
    std::string ext;     // the extension's ELF file
    unsigned pool_mib{MV_LOADER_POOL_DEFAULT_MIB};
    unsigned serial_port{0x3F8};
    unsigned test_fault{MV_TEST_FAULT_NONE};  // a fault the microkernel's test build makes on purpose
};

/// Parses `start`'s arguments (after the word start) over defaults; false with error set on bad use.
bool parse_start_options(const std::vector<std::string> &args, start_options &options, std::string &error);

/// One sentence saying why a start failed, from the request's outputs and the ioctl's errno.
std::string start_failure_text(const mv_loader_start &req, int err);

}  // namespace vmmctl
