// SPDX-License-Identifier: MIT
// STUB: replaced by the implementation.
#include "vaecf/item_knn.h"
#include "vaecf/error.h"
namespace vaecf::core {
const ModelInfo& itemKnnInfo() { static const ModelInfo i{"itemknn", "ItemKnn", "", "stub", ModelFamily::Baseline, {}}; return i; }
ItemKnn::ItemKnn(const Config& c) { m_config = validateConfig(info().params, c, info().id); }
void ItemKnn::initialize(const CsrMatrix&, std::uint64_t) { fail("not implemented"); }
EpochStats ItemKnn::trainEpoch(const CsrMatrix&, int, const BatchCallback&, std::stop_token) { fail("not implemented"); }
void ItemKnn::score(const CsrMatrix&, std::int64_t, std::int64_t, float*) const { fail("not implemented"); }
double ItemKnn::memoryEstimate(std::int64_t, std::int64_t, std::int64_t) const { return 0; }
TensorMap ItemKnn::state() const { return {}; }
void ItemKnn::setState(const TensorMap&) { fail("not implemented"); }
}
