// SPDX-License-Identifier: MIT
// Hyperparameters described by the models themselves, so that the GUI builds its forms and
// the CLI its --help and --set parsing from one source.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace vaecf::core {

// A complete set of hyperparameter values: a JSON object, name -> value.
using Config = nlohmann::json;

enum class ParamKind {
    Int,      // integer in [min, max]
    Real,     // real number in [min, max]
    Bool,
    Choice,   // one of `choices`
    IntList,  // list of integers each in [min, max] (e.g. hidden layer sizes), may be empty
};

struct ParamSpec {
    std::string name;    // key in Config, snake_case ("latent_dim")
    std::string label;   // short label for forms ("Latent size")
    std::string symbol;  // the paper's symbol ("K", "β", "λ"); may be empty
    std::string help;    // one line: what it does and what the paper used
    std::string group;   // "Architecture", "Regularization", "Optimization", "Annealing"
    ParamKind kind = ParamKind::Real;
    double min = 0;
    double max = 0;
    bool logScale = false;  // forms use a logarithmic slider
    nlohmann::json defaultValue;
    std::vector<std::string> choices;
    int maxListLength = 8;  // IntList only
};

using ParamSpecs = std::vector<ParamSpec>;

// Default values of all specs.
Config defaultConfig(const ParamSpecs& specs);

// `given` merged over the defaults after checking every field: unknown names, wrong types and
// values out of range are refused with an Error naming the field, e.g.
//   "hyperparameter 'anneal_cap' (β cap) must be in [0, 10], got 12"
// `owner` names the model in messages ("mult-vae").
Config validateConfig(const ParamSpecs& specs, const Config& given, const std::string& owner);

// Parses a textual value for `spec` ("0.2", "true", "600,200", "[600]") as typed on a command
// line; throws Error naming the field when it does not parse.
nlohmann::json parseParamValue(const ParamSpec& spec, const std::string& text);

// "600,200" style text of a value, for forms and summaries.
std::string formatParamValue(const nlohmann::json& value);

const ParamSpec* findSpec(const ParamSpecs& specs, const std::string& name);

}  // namespace vaecf::core
