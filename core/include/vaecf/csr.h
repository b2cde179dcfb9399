// SPDX-License-Identifier: MIT
// Compressed sparse row matrix: the interaction matrix of every dataset and split.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace vaecf::core {

struct CsrMatrix {
    std::int64_t rows = 0;
    std::int64_t cols = 0;
    std::vector<std::int64_t> indptr{0};  // rows + 1 entries
    std::vector<std::int32_t> indices;    // column of each stored value, sorted within a row
    std::vector<float> values;            // stored values (1 for implicit data)

    std::int64_t nnz() const { return static_cast<std::int64_t>(indices.size()); }
    std::int64_t rowNnz(std::int64_t r) const { return indptr[r + 1] - indptr[r]; }
    std::span<const std::int32_t> rowIndices(std::int64_t r) const {
        return {indices.data() + indptr[r], static_cast<std::size_t>(rowNnz(r))};
    }
    std::span<const float> rowValues(std::int64_t r) const {
        return {values.data() + indptr[r], static_cast<std::size_t>(rowNnz(r))};
    }

    // Builds a matrix from (row, col, value) triplets; duplicates keep the first occurrence
    // (in input order); columns end up sorted within each row.
    static CsrMatrix fromTriplets(std::int64_t rows, std::int64_t cols,
                                  const std::vector<std::int64_t>& r,
                                  const std::vector<std::int32_t>& c,
                                  const std::vector<float>& v);
    // Rows [begin, end) as a new matrix.
    CsrMatrix sliceRows(std::int64_t begin, std::int64_t end) const;
    // The given rows, in the given order, as a new matrix.
    CsrMatrix selectRows(std::span<const std::int64_t> rowIds) const;
    // All stored values set to 1.
    CsrMatrix binarized() const;
    // The transpose (cols x rows), e.g. the item -> users lists of an interaction matrix; row
    // indices come out ascending within each row of the result.
    CsrMatrix transposed() const;
    bool operator==(const CsrMatrix&) const = default;
};

}  // namespace vaecf::core
