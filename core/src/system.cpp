// SPDX-License-Identifier: MIT
#include "vaecf/system.h"

#include <thread>

#include "kernels/kernels.h"

namespace vaecf::core {

const char* versionString() { return "0.1.0"; }

std::string kernelIsaName() { return kernels::isaName(kernels::activeIsa()); }

int hardwareThreads() {
    const unsigned n = std::thread::hardware_concurrency();
    return n > 0 ? static_cast<int>(n) : 1;
}

}  // namespace vaecf::core
