// SPDX-License-Identifier: MIT
#include "vaecf/csr.h"

#include <algorithm>
#include <numeric>

#include "vaecf/error.h"

namespace vaecf::core {

CsrMatrix CsrMatrix::fromTriplets(std::int64_t rows, std::int64_t cols,
                                  const std::vector<std::int64_t>& r,
                                  const std::vector<std::int32_t>& c,
                                  const std::vector<float>& v) {
    if (r.size() != c.size() || (!v.empty() && v.size() != r.size()))
        fail("internal: triplet arrays differ in length");
    CsrMatrix m;
    m.rows = rows;
    m.cols = cols;
    m.indptr.assign(static_cast<std::size_t>(rows) + 1, 0);
    for (std::size_t k = 0; k < r.size(); ++k) {
        if (r[k] < 0 || r[k] >= rows || c[k] < 0 || c[k] >= cols)
            fail("internal: triplet (" + std::to_string(r[k]) + ", " + std::to_string(c[k]) +
                 ") outside a " + std::to_string(rows) + " x " + std::to_string(cols) + " matrix");
        ++m.indptr[r[k] + 1];
    }
    std::partial_sum(m.indptr.begin(), m.indptr.end(), m.indptr.begin());
    // Stable counting sort by row keeps input order within a row.
    std::vector<std::int64_t> next(m.indptr.begin(), m.indptr.end() - 1);
    std::vector<std::int32_t> idx(r.size());
    std::vector<float> val(r.size());
    for (std::size_t k = 0; k < r.size(); ++k) {
        const std::int64_t p = next[r[k]]++;
        idx[p] = c[k];
        val[p] = v.empty() ? 1.0f : v[k];
    }
    // Sort each row by column; drop later duplicates (first occurrence wins).
    m.indices.reserve(idx.size());
    m.values.reserve(idx.size());
    std::vector<std::int64_t> order;
    std::vector<std::int64_t> newPtr(static_cast<std::size_t>(rows) + 1, 0);
    for (std::int64_t row = 0; row < rows; ++row) {
        const std::int64_t b = m.indptr[row], e = m.indptr[row + 1];
        order.resize(static_cast<std::size_t>(e - b));
        std::iota(order.begin(), order.end(), b);
        std::stable_sort(order.begin(), order.end(),
                         [&](std::int64_t a, std::int64_t bb) { return idx[a] < idx[bb]; });
        for (std::size_t k = 0; k < order.size(); ++k) {
            if (k > 0 && idx[order[k]] == idx[order[k - 1]]) continue;
            m.indices.push_back(idx[order[k]]);
            m.values.push_back(val[order[k]]);
        }
        newPtr[row + 1] = static_cast<std::int64_t>(m.indices.size());
    }
    m.indptr = std::move(newPtr);
    return m;
}

CsrMatrix CsrMatrix::sliceRows(std::int64_t begin, std::int64_t end) const {
    std::vector<std::int64_t> ids(static_cast<std::size_t>(end - begin));
    std::iota(ids.begin(), ids.end(), begin);
    return selectRows(ids);
}

CsrMatrix CsrMatrix::selectRows(std::span<const std::int64_t> rowIds) const {
    CsrMatrix m;
    m.rows = static_cast<std::int64_t>(rowIds.size());
    m.cols = cols;
    m.indptr.assign(rowIds.size() + 1, 0);
    for (std::size_t k = 0; k < rowIds.size(); ++k)
        m.indptr[k + 1] = m.indptr[k] + rowNnz(rowIds[k]);
    m.indices.resize(static_cast<std::size_t>(m.indptr.back()));
    m.values.resize(m.indices.size());
    for (std::size_t k = 0; k < rowIds.size(); ++k) {
        const auto src = indptr[rowIds[k]];
        std::copy_n(indices.begin() + src, rowNnz(rowIds[k]), m.indices.begin() + m.indptr[k]);
        std::copy_n(values.begin() + src, rowNnz(rowIds[k]), m.values.begin() + m.indptr[k]);
    }
    return m;
}

CsrMatrix CsrMatrix::binarized() const {
    CsrMatrix m = *this;
    std::fill(m.values.begin(), m.values.end(), 1.0f);
    return m;
}

CsrMatrix CsrMatrix::transposed() const {
    CsrMatrix t;
    t.rows = cols;
    t.cols = rows;
    t.indptr.assign(static_cast<std::size_t>(cols + 1), 0);
    for (std::int32_t j : indices) ++t.indptr[static_cast<std::size_t>(j) + 1];
    for (std::int64_t j = 0; j < cols; ++j) t.indptr[j + 1] += t.indptr[j];
    t.indices.resize(indices.size());
    t.values.resize(indices.size());
    std::vector<std::int64_t> next(t.indptr.begin(), t.indptr.end() - 1);
    for (std::int64_t r = 0; r < rows; ++r)
        for (std::int64_t k = indptr[r]; k < indptr[r + 1]; ++k) {
            const std::int64_t at = next[indices[k]]++;
            t.indices[at] = static_cast<std::int32_t>(r);
            t.values[at] = values.empty() ? 1.0f : values[k];
        }
    return t;
}

}  // namespace vaecf::core
