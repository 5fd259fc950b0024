// SPDX-License-Identifier: MIT
// vmmctl start's options and what it says when a start fails.
#include "start_report.hpp"

#include <microv/cpu_caps.h>
#include <microv/mk_loader.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>

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

TEST(start_failure_text, names_every_other_microkernel_status)
{
    mv_loader_start req{};
    req.result = MV_START_MK_FAILED;
    req.cpu = 1;
    req.cpus_entered = 1;
    const std::pair<uint32_t, const char *> statuses[] = {{MV_MK_STATUS_BAD_EXT, "extension's ELF image"},
                                                          {MV_MK_STATUS_UNSUPPORTED_CPU, "1 GiB pages"},
                                                          {99, "status 99"}};
    for (const auto &[status, words] : statuses) {
        req.detail = status;
        const std::string text = vmmctl::start_failure_text(req, EIO);
        EXPECT_NE(text.find(words), std::string::npos) << text;
        EXPECT_NE(text.find("(cpu 1, 1 cpu(s) entered)"), std::string::npos) << text;
    }
    // Not ready: every CPU entered so far was given back.
    req.detail = MV_MK_STATUS_NOT_READY;
    req.cpus_entered = 2;
    EXPECT_EQ(vmmctl::start_failure_text(req, EIO),
              "the microkernel was entered but cannot demote the OS yet; 2 cpu(s) entered and given back");
}

TEST(start_failure_text, says_what_the_loader_refused)
{
    mv_loader_start req{};
    const auto text = [&](uint32_t result, int err) {
        req.result = result;
        return vmmctl::start_failure_text(req, err);
    };
    EXPECT_EQ(text(MV_START_BAD_REQUEST, EINVAL),
              std::string("the loader refused the request: ") + std::strerror(EINVAL));
    req.detail = MV_IMAGE_BAD_MAGIC;
    EXPECT_EQ(text(MV_START_BAD_KERNEL, EINVAL), "not a MicroV microkernel image (bad magic)");
    EXPECT_EQ(text(MV_START_BAD_EXT, EINVAL), "the extension image is not a 64-bit ELF file");
    EXPECT_EQ(text(MV_START_NO_MEMORY, ENOMEM), "not enough memory for the pool or the images");
    EXPECT_NE(text(MV_START_POOL_TOO_SMALL, ENOMEM).find("pool is too small"), std::string::npos);
    EXPECT_EQ(text(MV_START_RUNNING, EBUSY), "MicroV is running already");
    EXPECT_EQ(text(77, EIO), std::string("the loader failed: ") + std::strerror(EIO))
        << "a result this vmmctl does not know";
}

TEST(start_failure_text, lists_every_reason_a_cpu_cannot_run_microv)
{
    mv_loader_start req{};
    req.result = MV_START_CPU_UNSUITABLE;
    req.cpu = 2;
    req.detail = MV_BLOCK_NO_NPT | MV_BLOCK_SVM_DISABLED;
    const std::string text = vmmctl::start_failure_text(req, ENODEV);
    EXPECT_EQ(text.rfind("cpu 2 cannot run MicroV: ", 0), 0U) << text;
    EXPECT_NE(text.find(std::string(mv_blocker_text(MV_BLOCK_SVM_DISABLED)) + "; " + mv_blocker_text(MV_BLOCK_NO_NPT)),
              std::string::npos)
        << "both, lowest bit first: " << text;
}

TEST(start_options, a_number_longer_than_ten_digits_is_refused)
{
    vmmctl::start_options o;
    std::string error;
    EXPECT_FALSE(vmmctl::parse_start_options({"--pool", "00000000016"}, o, error));
    EXPECT_NE(error.find("--pool"), std::string::npos) << error;
}

}  // namespace
