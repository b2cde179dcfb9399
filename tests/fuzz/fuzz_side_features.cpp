// SPDX-License-Identifier: MIT
// readSideFeatures() on side-feature tables. Input: the dataset's ids (one line, separated by
// spaces, or "#N" for the ids 0 to N-1), "\n%%\n", then the file. Without a separator the
// ids are "1" to "5".
#include "fuzz_util.h"
#include "vaecf/error.h"
#include "vaecf/side_features.h"

using namespace vaecf;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::Input in(data, size);
    const auto parts = in.parts(2);
    std::vector<std::string> ids;
    std::string_view file = parts[0];
    if (parts.size() == 2) {
        file = parts[1];
        std::string_view s = parts[0];
        if (s.size() > 1 && s[0] == '#') {  // "#N": the ids "0" to "N-1" (N below 10^4)
            std::size_t n = 0;
            for (char c : s.substr(1, 4))
                if (c >= '0' && c <= '9') n = n * 10 + static_cast<std::size_t>(c - '0');
            for (std::size_t k = 0; k < n; ++k) ids.push_back(std::to_string(k));
            s = {};
        }
        while (!s.empty() && ids.size() < 1000) {
            const auto sp = s.find(' ');
            ids.emplace_back(s.substr(0, sp));
            s.remove_prefix(sp == std::string_view::npos ? s.size() : sp + 1);
        }
    } else {
        ids = {"1", "2", "3", "4", "5"};
    }
    const fuzz::Scratch scratch;
    const auto path = scratch / "features.csv";
    fuzz::writeFile(path, file);
    try {
        std::string report;
        const core::Tensor t = core::readSideFeatures(path.string(), ids, &report);
        fuzz::check(t.rows == static_cast<std::int64_t>(ids.size()), "one row per id");
        fuzz::check(t.cols >= 1, "at least one feature");
        fuzz::check(t.data.size() == static_cast<std::size_t>(t.rows * t.cols), "rows x cols values");
        for (float v : t.data) fuzz::check(std::isfinite(v), "features are finite");
        fuzz::check(!report.empty(), "a report");
    } catch (const core::Error& e) {
        fuzz::refused(e);
    }
    return 0;
}
