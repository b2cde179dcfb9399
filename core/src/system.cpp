// SPDX-License-Identifier: MIT
#include "vaecf/system.h"

#include <unistd.h>

#include <thread>

#include "kernels/kernels.h"

namespace vaecf::core {

const char* versionString() { return "0.1.0"; }

std::string kernelIsaName() { return kernels::isaName(kernels::activeIsa()); }

int hardwareThreads() {
    const unsigned n = std::thread::hardware_concurrency();
    return n > 0 ? static_cast<int>(n) : 1;
}

double physicalMemoryBytes() {
    const long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGE_SIZE);
    return pages > 0 && size > 0 ? static_cast<double>(pages) * static_cast<double>(size) : 0.0;
}

}  // namespace vaecf::core
