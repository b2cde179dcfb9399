// SPDX-License-Identifier: MIT
#include "cli_common.h"

#include <cmath>
#include <cstdio>
#include <iostream>
#include <sstream>

#include <unistd.h>

#include "vaecf/error.h"
#include "vaecf/model.h"

namespace vaecf::cli {

namespace {

// "about 1.1 GB of memory (this machine has 16.0 GB)", or "(the memory limit is 2.0 GB)" when
// --memory-limit is given.
std::string describeNeed(const core::MemoryEstimate& e, std::uint64_t limit) {
    if (limit == 0) return e.describe();
    return "about " + core::formatBytes(e.bytes) + " of memory (the memory limit is " +
           core::formatBytes(static_cast<double>(limit)) + ")";
}

}  // namespace

using namespace vaecf::core;

bool isLiangFolder(const std::filesystem::path& p) {
    return std::filesystem::is_directory(p) && std::filesystem::exists(p / "train.csv") &&
           std::filesystem::exists(p / "unique_sid.txt");
}

Dataset readForCli(const DataArgs& a, LoadedData* into, bool keepFileOrder) {
    if (a.path == "demo") {
        DemoDataset d = makeDemoDataset(a.demo);
        if (into) {
            into->demo = true;
            into->demoClusters = d.userCluster;
            into->demoClusterNames = d.clusterNames;
        }
        return std::move(d.data);
    }
    ReadOptions ro;
    ro.format = a.format;
    ro.delimiter = a.delimiter;
    ro.userColumn = a.userColumn;
    ro.itemColumn = a.itemColumn;
    ro.ratingColumn = a.ratingColumn == -2 ? (a.implicit ? -1 : 2) : a.ratingColumn;
    if (a.header == "yes") ro.header = true;
    if (a.header == "no") ro.header = false;
    ro.threads = a.threads;
    ro.keepFileOrder = keepFileOrder;
    ro.skipBadLines = a.skipBadLines;
    ro.memoryLimit = static_cast<double>(a.memoryLimit);
    std::string shownName = std::filesystem::path(a.path).filename().string();
    if (shownName.empty()) shownName = a.path;  // a path ending in '/'
    ro.onEstimate = [&](const MemoryEstimate& e) {
        if (!a.quiet)
            std::fprintf(stderr, "vaecf: reading %s needs %s\n", shownName.c_str(),
                         describeNeed(e, a.memoryLimit).c_str());
    };
    ProgressLine progress(!a.quiet);
    ro.progress = [&](std::uint64_t done, std::uint64_t total) {
        if (total > 0)
            progress.update("reading " + std::filesystem::path(a.path).filename().string(),
                            static_cast<double>(done) / static_cast<double>(total));
        return true;
    };
    Dataset d = readDataset(a.path, ro);
    progress.clear();
    if (const std::string skipped = d.readReport.skippedSummary(); !skipped.empty())
        std::fprintf(stderr, "vaecf: warning: %s\n", skipped.c_str());
    if (const std::string repeated = d.readReport.duplicatesSummary(); !repeated.empty() && !a.quiet)
        std::fprintf(stderr, "vaecf: note: %s\n", repeated.c_str());
    return d;
}

LoadedData loadData(const DataArgs& a) {
    if (a.path.empty()) fail("no data given: name a file, folder or archive, or 'demo'");
    LoadedData out;
    if (a.path != "demo" && isLiangFolder(a.path)) {
        const MemoryEstimate e = estimateLiangSplitMemory(a.path);
        if (!a.quiet)
            std::fprintf(stderr, "vaecf: reading %s needs %s\n",
                         std::filesystem::path(a.path).filename().string().c_str(),
                         describeNeed(e, a.memoryLimit).c_str());
        if (a.memoryLimit > 0 && e.bytes > static_cast<double>(a.memoryLimit))
            fail(a.path + ": needs about " + formatBytes(e.bytes) +
                 " of memory to read (estimated from its size); the memory limit is " +
                 formatBytes(static_cast<double>(a.memoryLimit)));
        ReadReport report;
        out.split = loadLiangSplit(a.path, a.skipBadLines, &report);
        if (const std::string skipped = report.skippedSummary(); !skipped.empty())
            std::fprintf(stderr, "vaecf: warning: %s\n", skipped.c_str());
        out.fromSplitFolder = true;
        return out;
    }
    if (a.path != "demo" && !std::filesystem::exists(a.path))
        fail(a.path + ": no such file or folder");
    Dataset raw = readForCli(a, &out, true);
    PreprocessOptions po;
    po.ratingThreshold = a.implicit ? std::nan("") : a.threshold;
    po.minUserInteractions = a.minUser;
    po.minItemInteractions = a.minItem;
    out.dataset = preprocess(raw, po, &out.report);
    if (out.demo) {
        // Keep the ground truth aligned with the users that survived preprocessing.
        std::vector<std::int32_t> kept;
        std::size_t r = 0;
        for (std::size_t u = 0; u < raw.userIds.size() && r < out.dataset.userIds.size(); ++u)
            if (raw.userIds[u] == out.dataset.userIds[r]) {
                kept.push_back(out.demoClusters[u]);
                ++r;
            }
        out.demoClusters = std::move(kept);
    }
    SplitOptions so;
    so.heldOutUsers = a.heldOut;
    so.heldOutFraction = a.heldOutFraction;
    so.testProportion = a.testProportion;
    so.seed = a.splitSeed;
    so.recipe = a.splitRecipe == "python" ? SplitRecipe::PythonRandom : SplitRecipe::LiangNotebook;
    // The split depends on the file order (item numbering, each user's items for the held-out
    // draw), as the reference scripts read the file.
    out.split = out.dataset.fileOrder.users.empty()
                    ? makeLiangSplit(out.dataset, so)
                    : makeLiangSplit(out.dataset, so, out.dataset.fileOrder);
    out.dataset.fileOrder = {};
    return out;
}

ProgressLine::ProgressLine(bool enabled) : m_enabled(enabled && isatty(STDERR_FILENO)) {}
ProgressLine::~ProgressLine() { clear(); }

void ProgressLine::update(const std::string& text, double fraction) {
    if (!m_enabled) return;
    constexpr int kWidth = 30;
    const int filled = static_cast<int>(std::clamp(fraction, 0.0, 1.0) * kWidth);
    std::string bar = "[" + std::string(static_cast<std::size_t>(filled), '#') +
                      std::string(static_cast<std::size_t>(kWidth - filled), '.') + "] ";
    std::string line = bar + text;
    std::string pad(m_last > line.size() ? m_last - line.size() : 0, ' ');
    std::fprintf(stderr, "\r%s%s", line.c_str(), pad.c_str());
    std::fflush(stderr);
    m_last = line.size();
}

void ProgressLine::clear() {
    if (!m_enabled || m_last == 0) return;
    std::fprintf(stderr, "\r%s\r", std::string(m_last, ' ').c_str());
    std::fflush(stderr);
    m_last = 0;
}

std::string fmt(double v, int precision) {
    if (!std::isfinite(v)) return "n/a";
    std::ostringstream o;
    o.setf(std::ios::fixed);
    o.precision(precision);
    o << v;
    return o.str();
}

std::string humanCount(std::int64_t v) {
    const std::string digits = std::to_string(v < 0 ? -v : v);
    std::string out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return v < 0 ? "-" + out : out;
}

}  // namespace vaecf::cli
