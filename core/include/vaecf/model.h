// SPDX-License-Identifier: MIT
// The model interface shared by every model of the studio: user-side autoencoders
// (Mult-VAE, Mult-DAE, the VampPrior family, RecVAE), two-sided models (BiVAE encodes items
// too), closed-form models (EASE) and baselines (popularity).
//
// A model describes its hyperparameters (params.h), is initialized for a training matrix,
// trains epoch by epoch and batch by batch (progress callback, stop token), scores fold-in
// rows (which also serves brand-new users), may encode users to latent means and variances,
// may expose item embeddings, and saves and loads its state as named tensors.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <stop_token>
#include <string>
#include <vector>

#include "vaecf/csr.h"
#include "vaecf/params.h"

namespace vaecf::core {

// Loss terms of one batch or the mean over an epoch. For models without a KL term, kl and
// beta are 0; `loss` is what the optimizer minimizes (negative ELBO for VAEs:
// recon + beta * kl + penalty).
struct LossTerms {
    double loss = 0;
    double recon = 0;    // negative log-likelihood per user
    double kl = 0;       // KL(q(z|x) || p(z)) per user
    double beta = 0;     // KL weight in force
    double penalty = 0;  // weight penalty (Mult-DAE's λ Σ‖W‖²)
};

struct BatchProgress {
    int epoch = 0;               // 1-based
    std::int64_t batch = 0;      // 0-based within the epoch
    std::int64_t batches = 0;    // per epoch
    std::int64_t updates = 0;    // optimizer steps so far (after this batch)
    LossTerms terms;
};

struct EpochStats {
    LossTerms mean;              // mean over the epoch's batches
    std::int64_t batches = 0;
    std::int64_t updates = 0;    // total optimizer steps after the epoch
    bool stopped = false;        // the stop token fired mid-epoch
};

using BatchCallback = std::function<void(const BatchProgress&)>;

// A named float tensor (row-major), the unit of model state.
struct Tensor {
    std::int64_t rows = 0;
    std::int64_t cols = 0;
    std::vector<float> data;
};
using TensorMap = std::map<std::string, Tensor>;

enum class ModelFamily { UserAutoencoder, TwoSided, ClosedForm, Baseline };

struct ModelInfo {
    std::string id;           // "mult-vae"
    std::string name;         // "Mult-VAE"
    std::string citation;     // "Liang et al., WWW 2018"
    std::string summary;      // one line for pickers
    ModelFamily family = ModelFamily::UserAutoencoder;
    ParamSpecs params;
};

class Model {
public:
    virtual ~Model() = default;

    virtual const ModelInfo& info() const = 0;
    // The validated hyperparameters in force.
    const Config& config() const { return m_config; }

    // Sets up parameters for `train` (users x items). `seed` fixes initialization and every
    // later random draw (dropout, sampling, shuffling), so two models with the same seed,
    // data and thread count train identically.
    virtual void initialize(const CsrMatrix& train, std::uint64_t seed) = 0;
    bool initialized() const { return m_numItems > 0; }
    std::int64_t numItems() const { return m_numItems; }
    // Rows of the matrix given to initialize() (the training users). Two-sided models (BiVAE)
    // size their item encoder by it, so copies and loaded files initialize with as many rows.
    std::int64_t numUsers() const { return m_numUsers; }

    // Closed-form models and baselines fit in their first "epoch"; more epochs do nothing.
    virtual bool iterative() const { return true; }
    virtual int defaultEpochs() const { return 1; }

    // One pass over `train` (the matrix given to initialize). Checks `stop` between batches.
    virtual EpochStats trainEpoch(const CsrMatrix& train, int epoch, const BatchCallback& onBatch,
                                  std::stop_token stop) = 0;

    // Scores rows [begin, end) of `rows` (any users, e.g. fold-in rows of held-out or new
    // users) into out ((end - begin) x numItems(), row-major). Higher is better; fold-in
    // items are not masked here. Deterministic (no dropout, no sampling).
    virtual void score(const CsrMatrix& rows, std::int64_t begin, std::int64_t end,
                       float* out) const = 0;

    // Latent space (0 when the model has none).
    virtual int latentDim() const { return 0; }
    // Posterior means and log-variances of rows [begin, end): each (end - begin) x latentDim().
    // logVar may be null; models without variances write zeros.
    virtual void encode(const CsrMatrix& rows, std::int64_t begin, std::int64_t end, float* mu,
                        float* logVar) const;
    // Decoder: item scores for latent points (n x latentDim() in, n x numItems() out,
    // row-major), for latent traversal. Models without a decoder return false from
    // hasDecoder() and throw from decode().
    virtual bool hasDecoder() const { return false; }
    virtual void decode(const float* z, std::int64_t n, float* out) const;
    // Item embeddings (items x dim) where the model has them (e.g. decoder output weights), else
    // an empty tensor.
    virtual Tensor itemEmbeddings() const { return {}; }
    // VampPrior models: the learned pseudo-inputs passed through encode() as if they were
    // users (C x latentDim() posterior means), so a latent map can draw them beside the users.
    // Empty for models without pseudo-inputs.
    virtual Tensor pseudoInputLatents() const { return {}; }

    // Bytes this model needs to train on a users x items matrix with nnz stored entries
    // (parameters, optimizer state, the largest per-batch buffers), estimated from the config
    // alone, before anything is allocated, so front ends can report it (EASE needs I x I
    // float64 matrices). 0 when not estimated.
    virtual double memoryEstimate(std::int64_t users, std::int64_t items, std::int64_t nnz) const;

    // Complete state (parameters and optimizer moments, counters) as named tensors.
    virtual TensorMap state() const = 0;
    // Restores a state produced by state() of a model with the same config and item count;
    // throws Error naming the tensor that is missing or has the wrong shape.
    virtual void setState(const TensorMap& state) = 0;

    // Parameters only (for best-epoch snapshots and model files): by default all of state().
    virtual TensorMap parameters() const { return state(); }

protected:
    Config m_config;
    std::int64_t m_numItems = 0;
    std::int64_t m_numUsers = 0;  // set by initialize()
};

// Test hook of the models with hand-written backward passes: the loss of rows [begin, end) of
// `rows` with every random draw (dropout masks, ε) fixed by `noiseSeed`, and optionally its
// analytic gradient keyed like parameters(); with training = false no dropout and z = μ.
// Tests perturb single weights through parameter() and compare with finite differences.
class Differentiable {
public:
    virtual ~Differentiable() = default;
    virtual LossTerms batchLoss(const CsrMatrix& rows, std::int64_t begin, std::int64_t end,
                                std::uint64_t noiseSeed, bool training, double beta,
                                TensorMap* gradient) const = 0;
    // Mutable access to a parameter tensor by name (a key of parameters()).
    virtual std::vector<float>& parameter(const std::string& name) = 0;
};

// Refuses to go on when `bytes` exceed 90 % of this machine's physical memory, with a message
// naming the model, the estimate and what to lower (`hint`).
void checkMemory(const std::string& owner, double bytes, const std::string& hint);
// "1.3 GB", "640 MB", "12 kB".
std::string formatBytes(double bytes);

// Registry of every model the studio offers.
const std::vector<ModelInfo>& modelCatalog();
const ModelInfo& modelInfo(const std::string& id);  // throws Error listing the known ids
// A new, uninitialized model with `config` validated against its specs (missing fields take
// their defaults).
std::unique_ptr<Model> createModel(const std::string& id, const Config& config = Config::object());

// A new model with the same config and the parameters of `model` (or `parameters` when given,
// e.g. a best-epoch snapshot), ready to score and encode: a frozen copy that another thread
// can use while `model` keeps training. Optimizer moments are not copied.
std::unique_ptr<Model> cloneModel(const Model& model, const TensorMap* parameters = nullptr);

// An empty training matrix of `users` x `items` for initialize() before setState() (loading a
// model file, copying a model). One-sided models only keep the user count, so theirs has no row
// index: a popularity model of 2^31 users costs nothing to load. Two-sided models (BiVAE) get
// the full empty row index of users + 1 offsets.
CsrMatrix emptyTrainingShape(const Model& model, std::int64_t users, std::int64_t items);

// Helper for state(): fetches a tensor with the expected shape or throws.
const Tensor& requireTensor(const TensorMap& state, const std::string& name, std::int64_t rows,
                            std::int64_t cols);

// Counters (optimizer steps, seeds) are stored in float tensors as 24-bit parts, most
// significant first, so that they stay exact. splitCounter24 writes `n` parts of `v`;
// joinCounter24 reads them back and throws Error naming the tensor when a part is not a
// whole number from 0 to 16777215 (a corrupted or crafted file), or the value does not fit
// in 64 bits (two parts always fit in 48).
void splitCounter24(std::uint64_t v, float* parts, int n);
std::uint64_t joinCounter24(const float* parts, int n, const std::string& tensor);

}  // namespace vaecf::core
