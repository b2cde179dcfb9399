// SPDX-License-Identifier: MIT
// Facts about the build and the machine, for logs, run records and --version.
#pragma once

#include <string>

namespace vaecf::core {

// "0.1.0"
const char* versionString();
// The instruction set of the numeric kernels chosen at start-up: "avx512", "avx2" or "generic".
std::string kernelIsaName();
// Logical cores available to this process.
int hardwareThreads();
// Physical memory of the machine in bytes (0 when unknown).
double physicalMemoryBytes();

}  // namespace vaecf::core
