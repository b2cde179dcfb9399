// SPDX-License-Identifier: MIT
// Small helpers shared by the core tests: temporary folders and fixture files.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>

#include <QtTest/QtTest>

#include "vaecf/error.h"

namespace vaecf::test {

inline std::filesystem::path sharedDatasets() { return VAECF_SHARED_DATASETS; }
inline std::filesystem::path testData() { return VAECF_TEST_DATA; }

// Writes `text` to `path` (binary, exactly as given) and returns the path.
inline std::filesystem::path writeFile(const std::filesystem::path& path, const std::string& text) {
    std::filesystem::create_directories(path.parent_path());
    std::ofstream out(path, std::ios::binary);
    out << text;
    return path;
}

inline std::string readFile(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// A fresh temporary directory removed when the object dies.
class TempDir {
public:
    TempDir() {
        std::string tmpl = (std::filesystem::temp_directory_path() / "vaecf-test-XXXXXX").string();
        char* p = mkdtemp(tmpl.data());
        if (!p) throw std::runtime_error("mkdtemp failed");
        m_path = p;
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(m_path, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return m_path; }
    std::filesystem::path operator/(const std::string& name) const { return m_path / name; }

private:
    std::filesystem::path m_path;
};

// The message of the vaecf::core::Error `f` throws: "no error" when it returns, "not an Error:
// ..." for any other exception (bad input must end in an Error, nothing else).
inline std::string errorOf(const std::function<void()>& f) {
    try {
        f();
    } catch (const vaecf::core::Error& e) {
        return e.what();
    } catch (const std::exception& e) {
        return std::string("not an Error: ") + e.what();
    }
    return "no error";
}

}  // namespace vaecf::test

// QCOMPARE of two messages (std::string) that prints both when they differ.
#define COMPARE_MSG(actual, expected) \
    QCOMPARE(QString::fromStdString(actual), QString::fromStdString(expected))

// The exact message of the Error `expr` throws.
#define EXPECT_MESSAGE(expr, expected) \
    COMPARE_MSG(::vaecf::test::errorOf([&] { (void)(expr); }), expected)

// QVERIFY_THROWS_EXCEPTION with a check of the message text.
#define VAECF_EXPECT_ERROR(expr, needle)                                                     \
    do {                                                                                     \
        bool thrown_ = false;                                                                \
        try {                                                                                \
            (void)(expr);                                                                    \
        } catch (const std::exception& e_) {                                                 \
            thrown_ = true;                                                                  \
            const std::string what_ = e_.what();                                             \
            if (what_.find(needle) == std::string::npos)                                     \
                QFAIL(qPrintable(QString("error message \"%1\" lacks \"%2\"")                \
                                     .arg(QString::fromStdString(what_),                     \
                                          QString::fromStdString(std::string(needle)))));    \
        }                                                                                    \
        if (!thrown_) QFAIL("expected an error from " #expr);                                \
    } while (0)
