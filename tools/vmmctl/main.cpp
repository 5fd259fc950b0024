// SPDX-License-Identifier: MIT
// vmmctl: the command line of MicroV's loader.
#include "cpu_report.hpp"
#include "loader_device.hpp"
#include "start_report.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <unistd.h>

namespace {

constexpr int exit_usage = 2;

void usage(FILE *to)
{
    std::fputs("usage: vmmctl [--device PATH] COMMAND\n"
               "commands:\n"
               "  info      report what MicroV needs from the CPUs and whether it can run here;\n"
               "            exit status 0 when it can, 1 when it cannot, 2 on error\n"
               "  start [--kernel FILE] [--ext FILE] [--pool MiB] [--serial PORT] [--test-fault NAME]\n"
               "            start MicroV on every online CPU (pool: even, 4..128 MiB, default 32;\n"
               "            serial: the COM port for the hypervisor's output, 0x3f8, 0x2f8, 0x3e8 or\n"
               "            0x2e8, or 0 for none, default 0x3f8);\n"
               "            images default to microv_kernel.bin and microv_vmm.elf in $MICROV_IMAGES,\n"
               "            else in ../lib/microv beside vmmctl;\n"
               "            --test-fault NAME: the microkernel's test build (microv_kernel_faulty.bin)\n"
               "            fails the start on purpose on the last CPU: mk-before-root, ext-before-root,\n"
               "            vmrun-refused or no-memory (for tests; any other microkernel refuses it)\n"
               "  stop      give every CPU back to the OS and free MicroV's memory\n"
               "  dump      print the hypervisor's debug ring\n"
               "  status    say whether MicroV runs, and the memory the loader holds\n"
               "  help      show this text\n"
               "options:\n"
               "  --device PATH   the loader's device node (default " MV_LOADER_DEVICE_PATH ")\n",
               to);
}

int cmd_info(const char *device_path)
{
    vmmctl::loader_device device;
    std::string error;
    std::vector<mv_cpu_raw> cpus;
    unsigned online = 0;
    if (!device.open(device_path, error) || !device.cpu_info(cpus, online, error)) {
        std::fprintf(stderr, "vmmctl: error: %s\n", error.c_str());
        return exit_usage;
    }

    mv_machine_verdict verdict{};
    mv_machine_verdict_decide(cpus.data(), static_cast<uint32_t>(cpus.size()), &verdict);
    std::fputs(vmmctl::cpu_report(verdict, online).c_str(), stdout);
    return vmmctl::cpu_report_status(verdict);
}

/// Where the images are by default: $MICROV_IMAGES, else ../lib/microv beside this program.
std::string images_dir()
{
    if (const char *dir = std::getenv("MICROV_IMAGES"); dir != nullptr) {
        return dir;
    }
    std::string self(4096, '\0');
    const ssize_t n = ::readlink("/proc/self/exe", self.data(), self.size() - 1);
    self.resize(n > 0 ? static_cast<size_t>(n) : 0);
    return self.substr(0, self.rfind('/') + 1) + "../lib/microv";
}

bool read_file(const std::string &path, std::vector<char> &out, std::string &error)
{
    std::ifstream file(path, std::ios::binary);
    if (!file) {
        error = "cannot read " + path + ": " + std::strerror(errno);
        return false;
    }
    out.assign(std::istreambuf_iterator<char>(file), {});
    if (out.empty() || out.size() > MV_LOADER_IMAGE_MAX) {
        error = path + (out.empty() ? " is empty" : " is larger than 16 MiB");
        return false;
    }
    return true;
}

int fail(const std::string &error)
{
    std::fprintf(stderr, "vmmctl: error: %s\n", error.c_str());
    return exit_usage;
}

int cmd_start(const char *device_path, const std::vector<std::string> &args)
{
    vmmctl::start_options options;
    options.kernel = images_dir() + "/microv_kernel.bin";
    options.ext = images_dir() + "/microv_vmm.elf";
    std::string error;
    if (!vmmctl::parse_start_options(args, options, error)) {
        usage(stderr);
        return fail(error);
    }
    std::vector<char> kernel;
    std::vector<char> ext;
    vmmctl::loader_device device;
    if (!read_file(options.kernel, kernel, error) || !read_file(options.ext, ext, error) ||
        !device.open(device_path, error)) {
        return fail(error);
    }

    std::printf("vmmctl: starting MicroV: kernel %s (%zu bytes), extension %s (%zu bytes), pool %u MiB\n",
                options.kernel.c_str(), kernel.size(), options.ext.c_str(), ext.size(), options.pool_mib);
    mv_loader_start req{};
    req.abi_version = MV_LOADER_ABI_VERSION;
    req.pool_mib = options.pool_mib;
    req.kernel = reinterpret_cast<uintptr_t>(kernel.data());
    req.kernel_size = kernel.size();
    req.ext = reinterpret_cast<uintptr_t>(ext.data());
    req.ext_size = ext.size();
    req.serial_port = static_cast<uint16_t>(options.serial_port);
    req.test_fault = static_cast<uint16_t>(options.test_fault);
    const int err = device.start(req);
    if (err != 0) {
        std::fprintf(stderr, "vmmctl: start failed: %s\n", vmmctl::start_failure_text(req, err).c_str());
        return 1;
    }
    std::printf("vmmctl: MicroV runs on %u cpu(s)\n", req.cpus_entered);
    return 0;
}

int cmd_stop(const char *device_path)
{
    vmmctl::loader_device device;
    std::string error;
    if (!device.open(device_path, error)) {
        return fail(error);
    }
    if (!device.stop(error)) {
        std::fprintf(stderr, "vmmctl: stop failed: %s\n", error.c_str());
        return 1;
    }
    std::printf("vmmctl: MicroV stopped\n");
    return 0;
}

int cmd_dump(const char *device_path)
{
    vmmctl::loader_device device;
    std::string error;
    std::string text;
    uint64_t lost = 0;
    if (!device.open(device_path, error) || !device.dump(text, lost, error)) {
        return fail(error);
    }
    if (lost != 0) {
        std::printf("[%llu older bytes were overwritten]\n", static_cast<unsigned long long>(lost));
    }
    std::fwrite(text.data(), 1, text.size(), stdout);
    return 0;
}

int cmd_status(const char *device_path)
{
    vmmctl::loader_device device;
    std::string error;
    mv_loader_status status{};
    if (!device.open(device_path, error) || !device.status(status, error)) {
        return fail(error);
    }
    std::printf("microv: %s\n", status.running != 0U ? "running" : "not running");
    if (status.running != 0U) {
        std::printf("cpus: %u\n", status.cpus);
        std::printf("pool at: 0x%llx\n", static_cast<unsigned long long>(status.pool_phys));
    }
    std::printf("pool memory held: %llu bytes\n", static_cast<unsigned long long>(status.pool_bytes));
    std::printf("other memory held: %llu bytes\n", static_cast<unsigned long long>(status.other_bytes));
    std::printf("debug ring at: 0x%llx\n", static_cast<unsigned long long>(status.debug_ring_phys));
    return 0;
}

}  // namespace

int main(int argc, char **argv)
{
    const char *device_path = MV_LOADER_DEVICE_PATH;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; ++i) {
        if (std::strcmp(argv[i], "--device") == 0 && i + 1 < argc) {
            device_path = argv[++i];
        } else if (std::strcmp(argv[i], "-h") == 0 || std::strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        } else {
            std::fprintf(stderr, "vmmctl: error: unknown option '%s'\n", argv[i]);
            usage(stderr);
            return exit_usage;
        }
    }
    if (i == argc) {
        std::fprintf(stderr, "vmmctl: error: no command given\n");
        usage(stderr);
        return exit_usage;
    }
    const char *command = argv[i];
    const std::vector<std::string> rest(argv + i + 1, argv + argc);
    if (std::strcmp(command, "start") == 0) {
        return cmd_start(device_path, rest);
    }
    if (!rest.empty()) {
        std::fprintf(stderr, "vmmctl: error: too many arguments\n");
        usage(stderr);
        return exit_usage;
    }
    if (std::strcmp(command, "info") == 0) {
        return cmd_info(device_path);
    }
    if (std::strcmp(command, "stop") == 0) {
        return cmd_stop(device_path);
    }
    if (std::strcmp(command, "dump") == 0) {
        return cmd_dump(device_path);
    }
    if (std::strcmp(command, "status") == 0) {
        return cmd_status(device_path);
    }
    if (std::strcmp(command, "help") == 0) {
        usage(stdout);
        return 0;
    }
    std::fprintf(stderr, "vmmctl: error: unknown command '%s'\n", command);
    usage(stderr);
    return exit_usage;
}
