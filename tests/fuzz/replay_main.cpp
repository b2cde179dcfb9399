// SPDX-License-Identifier: MIT
// The main of the replay executables (builds without libFuzzer): runs every file of the seeds,
// of the kept corpus and of the regressions folder (or the files and folders named on the command line)
// once through the harness's LLVMFuzzerTestOneInput. A crash, a sanitizer report or an
// exception other than the reader's Error (which the harnesses catch) fails the run.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace fs = std::filesystem;

namespace {

void collect(const fs::path& p, std::vector<fs::path>& out) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
        std::vector<fs::path> files;
        for (const auto& e : fs::recursive_directory_iterator(p, ec))
            if (e.is_regular_file(ec)) files.push_back(e.path());
        std::sort(files.begin(), files.end());
        out.insert(out.end(), files.begin(), files.end());
    } else if (fs::is_regular_file(p, ec)) {
        out.push_back(p);
    }
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<fs::path> inputs;
    std::vector<fs::path> roots;
    if (argc > 1) {
        for (int k = 1; k < argc; ++k) roots.emplace_back(argv[k]);
    } else {
        roots = {VAECF_FUZZ_SEEDS, VAECF_FUZZ_CORPUS, VAECF_FUZZ_REGRESSIONS};
    }
    for (const auto& r : roots) {
        if (!fs::exists(r)) {
            if (argc == 1) continue;  // a target without regressions has no such folder
            std::fprintf(stderr, "%s: no such file or folder\n", r.c_str());
            return 2;
        }
        collect(r, inputs);
    }
    for (const auto& p : inputs) {
        std::ifstream in(p, std::ios::binary);
        const std::string bytes((std::istreambuf_iterator<char>(in)),
                                std::istreambuf_iterator<char>());
        if (!in.eof() && in.fail()) {
            std::fprintf(stderr, "%s: cannot read\n", p.c_str());
            return 2;
        }
        try {
            LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                                   bytes.size());
        } catch (const std::exception& e) {
            std::fprintf(stderr, "%s: uncaught exception: %s\n", p.c_str(), e.what());
            return 1;
        } catch (...) {
            std::fprintf(stderr, "%s: uncaught exception\n", p.c_str());
            return 1;
        }
    }
    std::printf("replayed %zu inputs\n", inputs.size());
    return 0;
}
