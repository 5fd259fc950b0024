// SPDX-License-Identifier: MIT
#include "start_report.hpp"

#include <microv/cpu_caps.h>
#include <microv/mk_loader.h>

#include <cstring>

namespace vmmctl {
namespace {

/// A whole decimal number in [min, max], or false.
bool parse_number(const std::string &text, unsigned min, unsigned max, int base, unsigned &out)
{
    if (text.empty() || text.size() > 10) {
        return false;
    }
    char *end = nullptr;
    const unsigned long value = std::strtoul(text.c_str(), &end, base);
    if (*end != '\0' || text[0] == '-' || value < min || value > max) {
        return false;
    }
    out = static_cast<unsigned>(value);
    return true;
}

/// The names --test-fault takes, by enum mv_test_fault.
constexpr const char *test_fault_names[] = {"none", "mk-before-root", "ext-before-root", "vmrun-refused", "no-memory"};
static_assert(sizeof(test_fault_names) / sizeof(test_fault_names[0]) == MV_TEST_FAULT_LAST + 1);

bool parse_test_fault(const std::string &text, unsigned &out)
{
    for (unsigned i = 0; i <= MV_TEST_FAULT_LAST; ++i) {
        if (text == test_fault_names[i]) {
            out = i;
            return true;
        }
    }
    return false;
}

std::string blockers_text(uint32_t blockers)
{
    std::string out;
    for (uint32_t bit = 1U; bit != 0U; bit <<= 1U) {
        if ((blockers & bit) != 0U) {
            out += out.empty() ? "" : "; ";
            out += mv_blocker_text(bit);
        }
    }
    return out;
}

std::string mk_status_text(uint32_t status)
{
    switch (status) {
    case MV_MK_STATUS_BAD_ARGS:
        return "the microkernel refused its boot arguments";
    case MV_MK_STATUS_NOT_READY:
        return "the microkernel was entered but cannot demote the OS yet";
    case MV_MK_STATUS_VMRUN_FAILED:
        return "the first VMRUN of the root VM failed";
    case MV_MK_STATUS_NO_MEMORY:
        return "the pool ran out while the microkernel prepared a CPU";
    case MV_MK_STATUS_BAD_EXT:
        return "the microkernel refused the extension's ELF image";
    case MV_MK_STATUS_MK_FAULT:
        return "the microkernel faulted before the root VM ran (see vmmctl dump)";
    case MV_MK_STATUS_UNSUPPORTED_CPU:
        return "the CPU lacks 1 GiB pages, which the root VM's nested paging needs";
    case MV_MK_STATUS_EXT_FAILED:
        return "the extension failed before the root VM ran (see vmmctl dump)";
    default:
        return "the microkernel failed with status " + std::to_string(status);
    }
}

}  // namespace

bool parse_start_options(const std::vector<std::string> &args, start_options &options, std::string &error)
{
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string &arg = args[i];
        if (i + 1 >= args.size()) {
            error = "option '" + arg + "' " + (arg.rfind("--", 0) == 0 ? "needs a value" : "is unknown");
            return false;
        }
        const std::string &value = args[++i];
        if (arg == "--kernel") {
            options.kernel = value;
        } else if (arg == "--ext") {
            options.ext = value;
        } else if (arg == "--pool") {
            if (!parse_number(value, MV_LOADER_POOL_MIN_MIB, MV_LOADER_POOL_MAX_MIB, 10, options.pool_mib) ||
                options.pool_mib % 2 != 0) {
                error = "--pool takes an even number of MiB from " + std::to_string(MV_LOADER_POOL_MIN_MIB) + " to " +
                        std::to_string(MV_LOADER_POOL_MAX_MIB) + ", not '" + value + "'";
                return false;
            }
        } else if (arg == "--serial") {
            if (!parse_number(value, 0, 0xFFFF, 0, options.serial_port) ||
                mv_serial_port_ok(static_cast<uint16_t>(options.serial_port)) == 0) {
                error = "--serial takes a COM port's base (0x3f8, 0x2f8, 0x3e8 or 0x2e8) or 0 for none, not '" + value +
                        "'";
                return false;
            }
        } else if (arg == "--test-fault") {
            if (!parse_test_fault(value, options.test_fault)) {
                error = "--test-fault takes none, mk-before-root, ext-before-root, vmrun-refused or no-memory, not '" +
                        value + "'";
                return false;
            }
        } else {
            error = "unknown option '" + arg + "'";
            return false;
        }
    }
    return true;
}

std::string start_failure_text(const mv_loader_start &req, int err)
{
    switch (req.result) {
    case MV_START_BAD_REQUEST:
        return std::string("the loader refused the request: ") + std::strerror(err);
    case MV_START_BAD_KERNEL:
        return mv_image_error_text(static_cast<mv_image_error>(req.detail));
    case MV_START_BAD_EXT:
        return "the extension image is not a 64-bit ELF file";
    case MV_START_NO_MEMORY:
        return "not enough memory for the pool or the images";
    case MV_START_POOL_TOO_SMALL:
        return "the pool is too small for the microkernel, its tables and the extension";
    case MV_START_CPU_UNSUITABLE:
        return "cpu " + std::to_string(req.cpu) + " cannot run MicroV: " + blockers_text(req.detail);
    case MV_START_MK_FAILED:
        if (req.detail == MV_MK_STATUS_NOT_READY) {
            return mk_status_text(req.detail) + "; " + std::to_string(req.cpus_entered) +
                   " cpu(s) entered and given back";
        }
        return mk_status_text(req.detail) + " (cpu " + std::to_string(req.cpu) + ", " +
               std::to_string(req.cpus_entered) + " cpu(s) entered)";
    case MV_START_RUNNING:
        return "MicroV is running already";
    default:
        return std::string("the loader failed: ") + std::strerror(err);
    }
}

}  // namespace vmmctl
