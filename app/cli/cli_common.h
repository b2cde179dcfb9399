// SPDX-License-Identifier: MIT
// Shared pieces of the `vaecf` subcommands: how data arguments become a split, and output
// helpers. The command line links the core only.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "vaecf/dataset.h"
#include "vaecf/split.h"
#include "vaecf/synthetic.h"

namespace vaecf::cli {

// Options shared by every subcommand that reads data: where it is and how it becomes a split.
struct DataArgs {
    std::string path;                 // file, folder, archive, Liang split folder, or "demo"
    std::string format = "auto";
    char delimiter = 0;
    int userColumn = 0, itemColumn = 1;
    int ratingColumn = -2;            // -2: column 2, or none with --implicit; -1: none
    std::string header = "auto";      // auto, yes, no
    double threshold = 3.5;
    bool implicit = false;            // keep every interaction (no threshold)
    int minUser = 5;
    int minItem = 0;
    std::int64_t heldOut = 0;         // users per held-out part; 0: heldOutFraction
    double heldOutFraction = 0.1;
    double testProportion = 0.2;
    std::uint32_t splitSeed = 98765;
    std::string splitRecipe = "notebook";  // notebook (NumPy, models.md §1) or python
    // Demo dataset knobs.
    core::DemoOptions demo;
    int threads = 0;
    bool quiet = false;
    bool skipBadLines = false;        // leave malformed lines out (reported on stderr)
    std::uint64_t memoryLimit = 0;    // refuse data needing more to read (0: 90 % of the machine)
};

// What a data argument turned into.
struct LoadedData {
    core::Split split;
    core::Dataset dataset;            // empty when the input was a split folder
    core::PreprocessReport report;
    std::vector<std::int32_t> demoClusters;  // ground truth per dataset user (demo only)
    std::vector<std::string> demoClusterNames;
    bool fromSplitFolder = false;
    bool demo = false;
};

bool isLiangFolder(const std::filesystem::path& p);
// Reads a.path (or makes the demo data). On stderr, unless a.quiet: the memory estimate
// before reading ("vaecf: reading ratings.csv needs about 35 MB of memory (this machine has
// 16.0 GB)") and repeated pairs after; always: "vaecf: warning: skipped N malformed lines
// (first: file:line: reason)".
core::Dataset readForCli(const DataArgs& a, LoadedData* into = nullptr, bool keepFileOrder = false);
LoadedData loadData(const DataArgs& a);

// Progress line on stderr when it is a terminal ("\r" updates), silent otherwise.
class ProgressLine {
public:
    explicit ProgressLine(bool enabled);
    ~ProgressLine();
    void update(const std::string& text, double fraction);
    void clear();

private:
    bool m_enabled;
    std::size_t m_last = 0;
};

std::string fmt(double v, int precision = 4);
std::string humanCount(std::int64_t v);

}  // namespace vaecf::cli
