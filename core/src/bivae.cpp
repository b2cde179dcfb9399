// SPDX-License-Identifier: MIT
// STUB: replaced by the implementation.
#include "vaecf/bivae.h"
#include "vaecf/error.h"
namespace vaecf::core {
const ModelInfo& biVaeInfo() { static const ModelInfo i{"bivae", "BiVae", "", "stub", ModelFamily::UserAutoencoder, {}}; return i; }
struct BiVae::Impl {};
BiVae::BiVae(const Config& c) { m_config = validateConfig(info().params, c, info().id); }
BiVae::~BiVae() = default;
const ModelInfo& BiVae::info() const { return biVaeInfo(); }
void BiVae::initialize(const CsrMatrix&, std::uint64_t) { fail("not implemented"); }
int BiVae::defaultEpochs() const { return 1; }
EpochStats BiVae::trainEpoch(const CsrMatrix&, int, const BatchCallback&, std::stop_token) { fail("not implemented"); }
void BiVae::score(const CsrMatrix&, std::int64_t, std::int64_t, float*) const { fail("not implemented"); }
int BiVae::latentDim() const { return 0; }
void BiVae::encode(const CsrMatrix&, std::int64_t, std::int64_t, float*, float*) const { fail("not implemented"); }
void BiVae::decode(const float*, std::int64_t, float*) const { fail("not implemented"); }
Tensor BiVae::itemEmbeddings() const { return {}; }
double BiVae::memoryEstimate(std::int64_t, std::int64_t, std::int64_t) const { return 0; }
TensorMap BiVae::state() const { return {}; }
void BiVae::setState(const TensorMap&) { fail("not implemented"); }
TensorMap BiVae::parameters() const { return {}; }
LossTerms BiVae::batchLoss(const CsrMatrix&, std::int64_t, std::int64_t, std::uint64_t, bool, double, TensorMap*) const { fail("not implemented"); }
std::vector<float>& BiVae::parameter(const std::string&) { fail("not implemented"); }
void BiVae::setSideFeatures(const Tensor&, const Tensor&) {}
}
