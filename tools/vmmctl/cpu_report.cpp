// SPDX-License-Identifier: MIT
#include "cpu_report.hpp"

#include <cstdio>

namespace vmmctl {
namespace {

const char *yes_no(int value) { return value != 0 ? "yes" : "no"; }

void line(std::string &out, const char *name, const std::string &value, const char *note = nullptr)
{
    char buf[160];
    std::snprintf(buf, sizeof(buf), "  %-18s %s", name, value.c_str());
    out += buf;
    if (note != nullptr) {
        out += "  (";
        out += note;
        out += ")";
    }
    out += "\n";
}

std::string vendor_name(const mv_cpu_caps &caps)
{
    switch (caps.vendor) {
    case MV_VENDOR_AMD:
        return std::string(caps.vendor_id) + " (AMD SVM)";
    case MV_VENDOR_INTEL:
        return std::string(caps.vendor_id) + " (Intel VMX, not supported yet)";
    default:
        return std::string(caps.vendor_id) + " (unknown vendor)";
    }
}

// An optional SVM feature: MicroV uses it where present and works without it.
void optional(std::string &out, const char *name, const mv_cpu_caps &caps, int value, const char *without)
{
    if (!caps.svm) {
        line(out, name, "-");
        return;
    }
    line(out, name, yes_no(value), value != 0 ? "used" : without);
}

}  // namespace

std::string cpu_report(const mv_machine_verdict &verdict, unsigned online)
{
    const mv_cpu_caps &caps = verdict.caps;
    std::string out = "MicroV CPU report\n";

    line(out, "vendor", vendor_name(caps));
    line(out, "online cpus", std::to_string(online));
    line(out, "in a vm", yes_no(caps.hypervisor_present), "CPUID.1:ECX[31]");
    line(out, "svm", caps.svm != 0 ? "yes, revision " + std::to_string(caps.svm_revision) : "no");
    if (caps.svm) {
        line(out, "npt", yes_no(caps.npt), "required");
        line(out, "asids", std::to_string(caps.asids), "ASID 0 is the host's");
    }
    optional(out, "nrip save", caps, caps.nrip_save, "MicroV decodes instruction lengths itself");
    optional(out, "decode assists", caps, caps.decode_assists, "MicroV decodes the instruction itself");
    optional(out, "vmcb clean bits", caps, caps.vmcb_clean, "every VMRUN reloads the whole VMCB");
    optional(out, "flush by asid", caps, caps.flush_by_asid, "MicroV flushes the whole TLB instead");
    if (caps.vm_cr_known) {
        line(out, "vm_cr.svmdis", caps.svm_disabled != 0 ? "set" : "clear");
        line(out, "vm_cr.lock", caps.vm_cr_lock != 0 ? "set" : "clear");
    } else {
        line(out, "vm_cr", "unreadable");
    }
    if (caps.efer_known) {
        line(out, "efer.svme", caps.svme_in_use != 0 ? "set" : "clear", "set means SVM is in use");
    }

    if (verdict.blockers == 0U) {
        out += "verdict: MicroV can run on this machine\n";
        return out;
    }
    out += "verdict: MicroV cannot run on this machine";
    out += " (first seen on cpu " + std::to_string(verdict.first_bad_cpu) + "):\n";
    for (uint32_t bit = 1U; bit != 0U; bit <<= 1U) {
        if ((verdict.blockers & bit) != 0U) {
            out += "  - ";
            out += mv_blocker_text(bit);
            out += "\n";
        }
    }
    return out;
}

int cpu_report_status(const mv_machine_verdict &verdict) { return verdict.blockers == 0U ? 0 : 1; }

}  // namespace vmmctl
