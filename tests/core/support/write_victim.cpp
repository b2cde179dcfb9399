// SPDX-License-Identifier: MIT
// Test helper for fault_test: writes a large container file (the format of model files and
// checkpoints) again and again, as a training run writes its checkpoints, so that the test
// can kill it with SIGKILL in the middle of a write. Usage:
//   write_victim TARGET MEGABYTES COUNT      (COUNT 0: until killed)
// Generation g of the file has the header {"kind": "fault-test", "generation": g} and one
// tensor whose every value is g; generations continue from the file found at start, so a
// reader can tell a complete new version from a mix of two. Prints "wrote g" after each.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "vaecf/error.h"
#include "vaecf/model_file.h"

using namespace vaecf::core;

int main(int argc, char** argv) {
    if (argc != 4) {
        std::fprintf(stderr, "usage: write_victim TARGET MEGABYTES COUNT\n");
        return 2;
    }
    const std::filesystem::path target = argv[1];
    const long megabytes = std::atol(argv[2]);
    const long count = std::atol(argv[3]);
    long generation = 0;
    try {
        if (std::filesystem::exists(target))
            generation = readContainerFile(target, "checkpoint").header.at("generation").get<long>() + 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "write_victim: the file found at start is damaged: %s\n", e.what());
        return 1;
    }
    Tensor t;
    t.rows = megabytes * 1024;
    t.cols = 256;
    for (long k = 0; count == 0 || k < count; ++k, ++generation) {
        t.data.assign(static_cast<std::size_t>(t.rows * t.cols), static_cast<float>(generation));
        const nlohmann::json header{{"kind", "fault-test"}, {"generation", generation}};
        try {
            writeContainerFile(target, header, {{"values", &t}});
        } catch (const Error& e) {
            std::fprintf(stderr, "write_victim: %s\n", e.what());
            return 1;
        }
        std::printf("wrote %ld\n", generation);
        std::fflush(stdout);
    }
    return 0;
}
