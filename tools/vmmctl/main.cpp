// SPDX-License-Identifier: MIT
// vmmctl: the command line of MicroV's loader.
#include "cpu_report.hpp"
#include "loader_device.hpp"

#include <cstdio>
#include <cstring>

namespace {

constexpr int exit_usage = 2;

void usage(FILE *to)
{
    std::fputs("usage: vmmctl [--device PATH] COMMAND\n"
               "commands:\n"
               "  info      report what MicroV needs from the CPUs and whether it can run here;\n"
               "            exit status 0 when it can, 1 when it cannot, 2 on error\n"
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
    if (i + 1 != argc) {
        std::fprintf(stderr, "vmmctl: error: %s\n", i == argc ? "no command given" : "too many arguments");
        usage(stderr);
        return exit_usage;
    }

    const char *command = argv[i];
    if (std::strcmp(command, "info") == 0) {
        return cmd_info(device_path);
    }
    if (std::strcmp(command, "help") == 0) {
        usage(stdout);
        return 0;
    }
    std::fprintf(stderr, "vmmctl: error: unknown command '%s'\n", command);
    usage(stderr);
    return exit_usage;
}
