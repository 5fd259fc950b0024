// SPDX-License-Identifier: MIT
// `vmmctl info`: turns the verdict of the common loader code into the report a person reads.
#pragma once

#include <microv/cpu_caps.h>

#include <string>

namespace vmmctl {

/// The text `vmmctl info` prints for a machine with the given verdict and online CPUs.
std::string cpu_report(const mv_machine_verdict &verdict, unsigned online);

/// `vmmctl info`'s exit status for a verdict: 0 when MicroV can run, 1 when it cannot.
int cpu_report_status(const mv_machine_verdict &verdict);

}  // namespace vmmctl
