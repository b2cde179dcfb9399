// SPDX-License-Identifier: MIT
// `vaecf-studio --smoke-test`: drives the real window once through the whole path a user
// takes — the demo dataset, one epoch of training, every view rendered — and quits with
// exit code 0, or 1 with the reason on stderr. The package test runs it from the installed
// files on Qt's offscreen platform.
#pragma once

namespace vaecf::ui {

class MainWindow;

// Schedules the smoke test on `window` (call before QApplication::exec); the application
// exits when it is done. `timeoutSeconds` bounds the whole test.
void startSmokeTest(MainWindow* window, int epochs = 1, int timeoutSeconds = 300);

}  // namespace vaecf::ui
