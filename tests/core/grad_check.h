// SPDX-License-Identifier: MIT
// Finite-difference check of a model's hand-written backward pass (vaecf::core::Differentiable):
// central differences of the batch loss for sampled entries of every parameter tensor,
// compared with the analytic gradient. Dropout masks and noise are fixed by the noise seed,
// so the loss is a deterministic function of the parameters (piecewise smooth where the model
// clips; entries sitting at a kink are rare with small h and are reported if they fail).
#pragma once

#include <algorithm>
#include <cmath>
#include <string>

#include <QtTest/QtTest>

#include "vaecf/model.h"
#include "vaecf/rng.h"

namespace vaecf::test {

struct GradCheckOptions {
    std::uint64_t noiseSeed = 1234;
    bool training = true;
    double beta = 0.5;
    int samplesPerTensor = 12;
    float relativeStep = 1e-2f;  // h = relativeStep * max(1, |w|)
    double absTol = 2e-3;
    double relTol = 2e-2;
};

// Returns the number of entries checked; QFAIL-style failures are reported through the
// returned message (empty when all agree), so call as
//   QVERIFY2(msg.isEmpty(), qPrintable(msg)) after checkGradient(...).
inline QString checkGradient(core::Differentiable& m, const core::CsrMatrix& rows,
                             const GradCheckOptions& o = {}, int* checkedOut = nullptr) {
    using namespace vaecf::core;
    TensorMap grad;
    m.batchLoss(rows, 0, rows.rows, o.noiseSeed, o.training, o.beta, &grad);
    if (grad.empty()) return "the model returned no gradient tensors";
    Rng pick(99);
    int checked = 0;
    for (const auto& [name, g] : grad) {
        std::vector<float>& w = m.parameter(name);
        if (w.size() != g.data.size())
            return QString("%1: gradient has %2 entries, parameter %3")
                .arg(QString::fromStdString(name)).arg(g.data.size()).arg(w.size());
        for (int s = 0; s < o.samplesPerTensor; ++s) {
            const std::size_t k = pick.below(w.size());
            const float orig = w[k];
            const float h = o.relativeStep * std::max(1.0f, std::abs(orig));
            w[k] = orig + h;
            const double up = m.batchLoss(rows, 0, rows.rows, o.noiseSeed, o.training, o.beta, nullptr).loss;
            w[k] = orig - h;
            const double down = m.batchLoss(rows, 0, rows.rows, o.noiseSeed, o.training, o.beta, nullptr).loss;
            w[k] = orig;
            const double numeric = (up - down) / (2.0 * static_cast<double>(h));
            const double analytic = g.data[k];
            const double tol = o.absTol + o.relTol * std::max(std::abs(numeric), std::abs(analytic));
            if (!(std::abs(numeric - analytic) <= tol))
                return QString("%1[%2]: analytic %3, numeric %4")
                    .arg(QString::fromStdString(name)).arg(k).arg(analytic).arg(numeric);
            ++checked;
        }
    }
    if (checkedOut) *checkedOut = checked;
    return {};
}

}  // namespace vaecf::test
