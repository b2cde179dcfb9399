// SPDX-License-Identifier: MIT
// STUB: replaced by the implementation.
#include "vaecf/vamp_vae.h"
#include "vaecf/error.h"
namespace vaecf::core {
const ModelInfo& vampInfo() { static const ModelInfo i{"vamp", "VampPrior VAE", "Kim & Suh, RecSys 2019", "stub", ModelFamily::UserAutoencoder, {}}; return i; }
const ModelInfo& hvampInfo() { static const ModelInfo i{"hvamp", "H+Vamp", "Kim & Suh, RecSys 2019", "stub", ModelFamily::UserAutoencoder, {}}; return i; }
const ModelInfo& hvampGatedInfo() { static const ModelInfo i{"hvamp-gated", "H+Vamp (Gated)", "Kim & Suh, RecSys 2019", "stub", ModelFamily::UserAutoencoder, {}}; return i; }
struct VampVae::Impl {};
VampVae::VampVae(VampVariant v, const Config& c) : m_variant(v) { m_config = validateConfig(info().params, c, info().id); }
VampVae::~VampVae() = default;
const ModelInfo& VampVae::info() const { return m_variant == VampVariant::Vamp ? vampInfo() : m_variant == VampVariant::HVamp ? hvampInfo() : hvampGatedInfo(); }
void VampVae::initialize(const CsrMatrix&, std::uint64_t) { fail("not implemented"); }
int VampVae::defaultEpochs() const { return 1; }
EpochStats VampVae::trainEpoch(const CsrMatrix&, int, const BatchCallback&, std::stop_token) { fail("not implemented"); }
void VampVae::score(const CsrMatrix&, std::int64_t, std::int64_t, float*) const { fail("not implemented"); }
int VampVae::latentDim() const { return 0; }
void VampVae::encode(const CsrMatrix&, std::int64_t, std::int64_t, float*, float*) const { fail("not implemented"); }
void VampVae::decode(const float*, std::int64_t, float*) const { fail("not implemented"); }
Tensor VampVae::itemEmbeddings() const { return {}; }
Tensor VampVae::pseudoInputLatents() const { return {}; }
double VampVae::memoryEstimate(std::int64_t, std::int64_t, std::int64_t) const { return 0; }
TensorMap VampVae::state() const { return {}; }
void VampVae::setState(const TensorMap&) { fail("not implemented"); }
TensorMap VampVae::parameters() const { return {}; }
LossTerms VampVae::batchLoss(const CsrMatrix&, std::int64_t, std::int64_t, std::uint64_t, bool, double, TensorMap*) const { fail("not implemented"); }
std::vector<float>& VampVae::parameter(const std::string&) { fail("not implemented"); }
double VampVae::currentBeta(int) const { return 0; }
}  // namespace vaecf::core
