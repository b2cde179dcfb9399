// SPDX-License-Identifier: MIT
// STUB: replaced by the implementation.
#include "vaecf/recvae.h"
#include "vaecf/error.h"
namespace vaecf::core {
const ModelInfo& recVaeInfo() { static const ModelInfo i{"recvae", "RecVae", "", "stub", ModelFamily::UserAutoencoder, {}}; return i; }
struct RecVae::Impl {};
RecVae::RecVae(const Config& c) { m_config = validateConfig(info().params, c, info().id); }
RecVae::~RecVae() = default;
const ModelInfo& RecVae::info() const { return recVaeInfo(); }
void RecVae::initialize(const CsrMatrix&, std::uint64_t) { fail("not implemented"); }
int RecVae::defaultEpochs() const { return 1; }
EpochStats RecVae::trainEpoch(const CsrMatrix&, int, const BatchCallback&, std::stop_token) { fail("not implemented"); }
void RecVae::score(const CsrMatrix&, std::int64_t, std::int64_t, float*) const { fail("not implemented"); }
int RecVae::latentDim() const { return 0; }
void RecVae::encode(const CsrMatrix&, std::int64_t, std::int64_t, float*, float*) const { fail("not implemented"); }
void RecVae::decode(const float*, std::int64_t, float*) const { fail("not implemented"); }
Tensor RecVae::itemEmbeddings() const { return {}; }
double RecVae::memoryEstimate(std::int64_t, std::int64_t, std::int64_t) const { return 0; }
TensorMap RecVae::state() const { return {}; }
void RecVae::setState(const TensorMap&) { fail("not implemented"); }
TensorMap RecVae::parameters() const { return {}; }
LossTerms RecVae::batchLoss(const CsrMatrix&, std::int64_t, std::int64_t, std::uint64_t, bool, double, TensorMap*) const { fail("not implemented"); }
std::vector<float>& RecVae::parameter(const std::string&) { fail("not implemented"); }
}
