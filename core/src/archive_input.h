// SPDX-License-Identifier: MIT
// Private to the readers: the bytes of input files, whether plain (memory-mapped), compressed
// (.gz, .xz, .bz2, .zst: one file) or members of an archive (.zip, .tar, .tar.*, .7z), the
// last two read through libarchive. A Container shows a folder, an archive or a compressed file
// as a set of named files so that the readers can look for a ratings file and its metadata
// the same way in all three.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace vaecf::core::detail {

// The bytes of one file: memory-mapped or held in memory. Cheap to copy (shared).
class Blob {
public:
    Blob() = default;
    static Blob mapFile(const std::filesystem::path& path);  // throws Error
    static Blob own(std::string bytes);
    // Bytes kept alive by `owner`.
    static Blob shared(std::shared_ptr<const void> owner, std::string_view view);
    std::string_view view() const { return m_view; }
    std::size_t size() const { return m_view.size(); }

private:
    std::shared_ptr<const void> m_owner;
    std::string_view m_view;
};

// Called with (bytes done, total or 0); false cancels.
using ProgressFn = std::function<bool(std::uint64_t, std::uint64_t)>;

class Container {
public:
    enum class Kind {
        Folder,      // a folder on disk (also the folder of a plain file the path named)
        Archive,     // .zip, .tar, .tar.gz, .7z ...: members are the files
        Compressed,  // one compressed file (.gz, .xz, .bz2, .zst): one member, the stem
    };

    // Opens a folder, an archive, a compressed file, or a plain file (then the container is
    // the file's folder and primary() names the file). Throws Error when `path` is missing or
    // an archive cannot be read.
    static Container open(const std::filesystem::path& path);

    Kind kind() const { return m_kind; }
    const std::filesystem::path& path() const { return m_path; }
    // The member the path named (plain or compressed file), or empty for folders/archives.
    const std::string& primary() const { return m_primary; }
    // Member files, '/'-separated relative paths, sorted; for folders up to 3 levels deep.
    // Skips macOS resource forks (__MACOSX/, ._*).
    const std::vector<std::string>& names() const;
    bool exists(const std::string& name) const;
    // Reads a member whole (or its first maxBytes); throws Error naming it when missing or
    // unreadable. progress (optional) is told about decompression. Data that decompresses to
    // more than `memoryLimit` bytes (0: 90 % of the machine's memory) is refused with both
    // figures, so a small archive cannot exhaust memory.
    Blob read(const std::string& name, std::size_t maxBytes = SIZE_MAX,
              const ProgressFn& progress = {}, double memoryLimit = 0) const;
    // Reads several members with one pass over an archive; blobs in the order of `names`; the
    // same memory limit for all of them together.
    std::vector<Blob> readMany(const std::vector<std::string>& names, double memoryLimit = 0) const;
    // How a member is named in messages: "/data/ml-20m.zip:ml-20m/ratings.csv" (a folder's
    // member: its path; a compressed file: the file).
    std::string display(const std::string& name) const;
    // Total size of a member when known cheaply (0 otherwise).
    std::uint64_t sizeOf(const std::string& name) const;

private:
    Kind m_kind = Kind::Folder;
    std::filesystem::path m_path;   // folder, archive or compressed file
    std::string m_primary;
    mutable bool m_listed = false;
    mutable std::vector<std::string> m_names;
    std::vector<std::uint64_t> m_sizes;  // archives: sizes of m_names (0 unknown)
};

// "a/b/c.txt" -> "c.txt"; "a/b/c.txt" -> "a/b" (dirName, "" at top level).
std::string baseName(const std::string& name);
std::string dirName(const std::string& name);
// dir + "/" + file, or file when dir is empty.
std::string joinName(const std::string& dir, const std::string& file);

}  // namespace vaecf::core::detail
