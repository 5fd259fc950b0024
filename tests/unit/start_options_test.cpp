// SPDX-License-Identifier: MIT
// vmmctl start's options and what it says when a start fails.
#include "start_report.hpp"

#include <cerrno>
#include <gtest/gtest.h>

namespace {

bool parse(const std::vector<std::string> &args, vmmctl::start_options &o, std::string &error)
{
    return vmmctl::parse_start_options(args, o, error);
}

TEST(start_options, defaults_stay_without_options)
{
    vmmctl::start_options o;
    std::string error;
    ASSERT_TRUE(parse({}, o, error));
    EXPECT_EQ(o.pool_mib, MV_LOADER_POOL_DEFAULT_MIB);
    EXPECT_EQ(o.serial_port, 0x3F8U);
    EXPECT_EQ(o.test_fault, unsigned{MV_TEST_FAULT_NONE});
}

TEST(start_options, every_option_is_taken)
{
    vmmctl::start_options o;
    std::string error;
    ASSERT_TRUE(parse({"--kernel", "k.bin", "--ext", "e.elf", "--pool", "8", "--serial", "0x2f8"}, o, error)) << error;
    EXPECT_EQ(o.kernel, "k.bin");
    EXPECT_EQ(o.ext, "e.elf");
    EXPECT_EQ(o.pool_mib, 8U);
    EXPECT_EQ(o.serial_port, 0x2F8U);
}

TEST(start_options, each_test_fault_by_name)
{
    const std::pair<const char *, unsigned> faults[] = {{"none", MV_TEST_FAULT_NONE},
                                                        {"mk-before-root", MV_TEST_FAULT_MK_BEFORE_ROOT},
                                                        {"ext-before-root", MV_TEST_FAULT_EXT_BEFORE_ROOT},
                                                        {"vmrun-refused", MV_TEST_FAULT_VMRUN_REFUSED},
                                                        {"no-memory", MV_TEST_FAULT_NO_MEMORY}};
    for (const auto &[name, value] : faults) {
        vmmctl::start_options o;
        std::string error;
        ASSERT_TRUE(parse({"--test-fault", name}, o, error)) << name;
        EXPECT_EQ(o.test_fault, value) << name;
    }
}

TEST(start_options, bad_values_are_refused_with_a_reason)
{
    const std::vector<std::vector<std::string>> bad = {{"--test-fault", "sometimes"},
                                                       {"--test-fault", "1"},
                                                       {"--test-fault", ""},
                                                       {"--pool", "5"},
                                                       {"--pool", "2"},
                                                       {"--pool", "130"},
                                                       {"--pool", "-8"},
                                                       {"--serial", "0x10000"},
                                                       {"--serial", "com1"},
                                                       {"--serial", "0xcf9"},
                                                       {"--serial", "0x3f9"},
                                                       {"--serial", "0x80"},
                                                       {"--test-fault"},
                                                       {"--bogus", "x"},
                                                       {"bogus"}};
    for (const auto &args : bad) {
        vmmctl::start_options o;
        std::string error;
        EXPECT_FALSE(parse(args, o, error)) << args[0];
        EXPECT_FALSE(error.empty()) << args[0];
    }
}

TEST(start_options, a_refused_test_fault_names_the_choices)
{
    vmmctl::start_options o;
    std::string error;
    ASSERT_FALSE(parse({"--test-fault", "x"}, o, error));
    EXPECT_NE(error.find("vmrun-refused"), std::string::npos);
    EXPECT_NE(error.find("'x'"), std::string::npos);
}

TEST(start_failure_text, says_which_step_failed_on_which_cpu)
{
    mv_loader_start req{};
    req.result = MV_START_MK_FAILED;
    req.cpu = 3;
    req.cpus_entered = 3;
    const std::pair<uint32_t, const char *> statuses[] = {{MV_MK_STATUS_VMRUN_FAILED, "first VMRUN"},
                                                          {MV_MK_STATUS_NO_MEMORY, "pool ran out"},
                                                          {MV_MK_STATUS_MK_FAULT, "microkernel faulted"},
                                                          {MV_MK_STATUS_EXT_FAILED, "extension failed"},
                                                          {MV_MK_STATUS_BAD_ARGS, "boot arguments"}};
    for (const auto &[status, words] : statuses) {
        req.detail = status;
        const std::string text = vmmctl::start_failure_text(req, EIO);
        EXPECT_NE(text.find(words), std::string::npos) << text;
        EXPECT_NE(text.find("cpu 3"), std::string::npos) << text;
    }
}

}  // namespace
