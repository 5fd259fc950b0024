// SPDX-License-Identifier: MIT
// The loader ABI's structures are shared by user space and kernel: their layout must not drift.
#include <microv/loader_ioctl.h>

#include <gtest/gtest.h>

#include <cstddef>

namespace {

TEST(loader_abi, layouts_are_fixed)
{
    EXPECT_EQ(sizeof(mv_cpuid_regs), 16U);
    EXPECT_EQ(sizeof(mv_cpu_raw), 104U);
    EXPECT_EQ(offsetof(mv_cpu_raw, leaf_0), 8U);
    EXPECT_EQ(offsetof(mv_cpu_raw, vm_cr), 88U);
    EXPECT_EQ(offsetof(mv_cpu_raw, efer), 96U);
    EXPECT_EQ(sizeof(mv_loader_cpu_info), 32U);
    EXPECT_EQ(offsetof(mv_loader_cpu_info, cpus), 8U);
    EXPECT_EQ(offsetof(mv_loader_cpu_info, online), 16U);
    EXPECT_EQ(offsetof(mv_loader_cpu_info, reserved), 24U);
}

TEST(loader_abi, ioctl_number_encodes_the_request_size)
{
    EXPECT_EQ(_IOC_SIZE(MV_LOADER_CPU_INFO), sizeof(mv_loader_cpu_info));
    EXPECT_EQ(_IOC_TYPE(MV_LOADER_CPU_INFO), MV_LOADER_IOCTL_MAGIC);
    EXPECT_EQ(_IOC_DIR(MV_LOADER_CPU_INFO), static_cast<unsigned>(_IOC_READ | _IOC_WRITE));
}

}  // namespace
