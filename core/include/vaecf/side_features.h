// SPDX-License-Identifier: MIT
// Side features for BiVAE's constrained adaptive prior (CAP): a text table with one row per
// user or item, `id,f1,f2,...` (comma-, tab- or space-separated, header optional), read into
// a tensor whose rows follow the order of the dataset's ids. Ids the file lacks get a zero
// row, as the BiVAE scripts give ids without side information.
#pragma once

#include <string>
#include <vector>

#include "vaecf/model.h"

namespace vaecf::core {

// Reads `path` and returns an ids.size() x f tensor (row r = the features of ids[r]).
// The delimiter is a tab when the first line holds one, else a comma when it holds one, else
// runs of spaces. The first line is a header when none of its feature fields is a number.
// Blank lines are skipped. Throws Error naming the file and line for a line with a different
// number of fields, a value that is not a finite number, an id given twice, a file without
// feature rows, and a file none of whose ids is among `ids`. `report` (when given) receives
// a one-line summary: features, matched ids, zero rows, ignored rows.
Tensor readSideFeatures(const std::string& path, const std::vector<std::string>& ids,
                        std::string* report = nullptr);

}  // namespace vaecf::core
