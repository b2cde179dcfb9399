// SPDX-License-Identifier: MIT
// Drives the real app to make the README's screenshots: trains a quick-demo Mult-VAE on the
// demo dataset, then saves a PNG of the window on every view and quits.
#pragma once

#include <QString>

namespace vaecf::ui {

class MainWindow;

void takeScreenshots(MainWindow* window, const QString& folder, int epochs);

// Keeps the event loop turning for `ms` (background jobs post their results meanwhile); also
// used by the smoke test.
void settleEvents(int ms);

}  // namespace vaecf::ui
