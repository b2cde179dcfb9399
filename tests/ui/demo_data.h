// SPDX-License-Identifier: MIT
// The small built-in demo datasets the GUI tests train on (a few hundred users, a few seconds).
#pragma once

#include <memory>

#include "session/project.h"

namespace vaecf::test {

inline ui::DataSource smallDemoSource(int users = 300, int items = 120, int clusters = 3) {
    ui::DataSource s;
    s.kind = ui::DataSource::Kind::Demo;
    s.demo.users = users;
    s.demo.items = items;
    s.demo.clusters = clusters;
    return s;
}

inline std::shared_ptr<const ui::DataState> smallDemoData(int users = 300, int items = 120,
                                                          int clusters = 3) {
    return ui::buildDataState(smallDemoSource(users, items, clusters));
}

}  // namespace vaecf::test
