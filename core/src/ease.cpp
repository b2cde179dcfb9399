// SPDX-License-Identifier: MIT
// STUB: replaced by the implementation.
#include "vaecf/ease.h"
#include "vaecf/error.h"
namespace vaecf::core {
const ModelInfo& easeInfo() { static const ModelInfo i{"ease", "Ease", "", "stub", ModelFamily::Baseline, {}}; return i; }
Ease::Ease(const Config& c) { m_config = validateConfig(info().params, c, info().id); }
void Ease::initialize(const CsrMatrix&, std::uint64_t) { fail("not implemented"); }
EpochStats Ease::trainEpoch(const CsrMatrix&, int, const BatchCallback&, std::stop_token) { fail("not implemented"); }
void Ease::score(const CsrMatrix&, std::int64_t, std::int64_t, float*) const { fail("not implemented"); }
double Ease::memoryEstimate(std::int64_t, std::int64_t, std::int64_t) const { return 0; }
TensorMap Ease::state() const { return {}; }
void Ease::setState(const TensorMap&) { fail("not implemented"); }
Tensor Ease::itemEmbeddings() const { return {}; }
}
