// SPDX-License-Identifier: MIT
#include <cstdio>
int main() { std::puts("vaecf: command line under construction"); return 0; }
