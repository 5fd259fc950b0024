// SPDX-License-Identifier: MIT
#include <microv/cpu_caps.h>

#include <gtest/gtest.h>

namespace {

mv_loader_cpu_info good()
{
    mv_loader_cpu_info req{};
    req.abi_version = MV_LOADER_ABI_VERSION;
    req.capacity = 4;
    req.cpus = 0x1000;
    return req;
}

TEST(loader_request, a_good_request_passes)
{
    auto req = good();
    EXPECT_EQ(mv_loader_cpu_info_check(&req), MV_REQ_OK);
    req.capacity = MV_LOADER_MAX_CPUS;
    EXPECT_EQ(mv_loader_cpu_info_check(&req), MV_REQ_OK);
}

TEST(loader_request, a_size_query_without_buffer_passes)
{
    auto req = good();
    req.capacity = 0;
    req.cpus = 0;
    EXPECT_EQ(mv_loader_cpu_info_check(&req), MV_REQ_OK);
}

TEST(loader_request, wrong_version)
{
    auto req = good();
    req.abi_version = MV_LOADER_ABI_VERSION + 1;
    EXPECT_EQ(mv_loader_cpu_info_check(&req), MV_REQ_BAD_VERSION);
    req.abi_version = 0;
    EXPECT_EQ(mv_loader_cpu_info_check(&req), MV_REQ_BAD_VERSION);
}

TEST(loader_request, capacity_above_the_limit)
{
    auto req = good();
    req.capacity = MV_LOADER_MAX_CPUS + 1;
    EXPECT_EQ(mv_loader_cpu_info_check(&req), MV_REQ_BAD_CAPACITY);
    req.capacity = 0xFFFFFFFF;
    EXPECT_EQ(mv_loader_cpu_info_check(&req), MV_REQ_BAD_CAPACITY);
}

TEST(loader_request, output_and_reserved_fields_must_be_zero)
{
    auto req = good();
    req.online = 1;
    EXPECT_EQ(mv_loader_cpu_info_check(&req), MV_REQ_RESERVED);
    req = good();
    req.count = 1;
    EXPECT_EQ(mv_loader_cpu_info_check(&req), MV_REQ_RESERVED);
    req = good();
    req.reserved = 1ULL << 63;
    EXPECT_EQ(mv_loader_cpu_info_check(&req), MV_REQ_RESERVED);
}

TEST(loader_request, a_capacity_needs_a_buffer)
{
    auto req = good();
    req.cpus = 0;
    EXPECT_EQ(mv_loader_cpu_info_check(&req), MV_REQ_NULL_BUFFER);
}

}  // namespace
