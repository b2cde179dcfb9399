// SPDX-License-Identifier: MIT
#include "archive_input.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>

#include "vaecf/error.h"
#include "vaecf/model.h"
#include "vaecf/system.h"

namespace vaecf::core::detail {

namespace fs = std::filesystem;

std::string baseName(const std::string& name) {
    const auto slash = name.rfind('/');
    return slash == std::string::npos ? name : name.substr(slash + 1);
}

std::string dirName(const std::string& name) {
    const auto slash = name.rfind('/');
    return slash == std::string::npos ? std::string() : name.substr(0, slash);
}

std::string joinName(const std::string& dir, const std::string& file) {
    return dir.empty() ? file : dir + "/" + file;
}

// ---------------------------------------------------------------------------------------------
// Blob

namespace {

struct Mapping {
    void* addr = nullptr;
    std::size_t size = 0;
    ~Mapping() {
        if (addr) munmap(addr, size);
    }
};

struct MallocBuffer {
    char* data = nullptr;
    ~MallocBuffer() { std::free(data); }
};

}  // namespace

Blob Blob::mapFile(const fs::path& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) failAt(path.string(), 0, std::string("cannot open: ") + std::strerror(errno));
    struct stat st {};
    if (fstat(fd, &st) != 0) {
        const int err = errno;
        ::close(fd);
        failAt(path.string(), 0, std::string("cannot read: ") + std::strerror(err));
    }
    Blob blob;
    if (st.st_size == 0) {
        ::close(fd);
        return blob;
    }
    const auto size = static_cast<std::size_t>(st.st_size);
    void* addr = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    const int err = errno;
    ::close(fd);
    if (addr == MAP_FAILED) {
        // Not mappable (a pipe, a special file): read it instead.
        std::ifstream in(path, std::ios::binary);
        if (!in) failAt(path.string(), 0, std::string("cannot read: ") + std::strerror(err));
        std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        return own(std::move(bytes));
    }
    madvise(addr, size, MADV_WILLNEED);
    auto mapping = std::make_shared<Mapping>();
    mapping->addr = addr;
    mapping->size = size;
    blob.m_view = std::string_view(static_cast<const char*>(addr), size);
    blob.m_owner = std::move(mapping);
    return blob;
}

Blob Blob::shared(std::shared_ptr<const void> owner, std::string_view view) {
    Blob blob;
    blob.m_owner = std::move(owner);
    blob.m_view = view;
    return blob;
}

Blob Blob::own(std::string bytes) {
    Blob blob;
    auto owned = std::make_shared<const std::string>(std::move(bytes));
    blob.m_view = *owned;
    blob.m_owner = std::move(owned);
    return blob;
}

// ---------------------------------------------------------------------------------------------
// libarchive helpers

namespace {

enum class Sniffed { Plain, Archive, Compressed };

Sniffed sniff(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    char b[512] = {};
    in.read(b, sizeof b);
    const auto n = static_cast<std::size_t>(in.gcount());
    auto starts = [&](const char* magic, std::size_t len) {
        return n >= len && std::memcmp(b, magic, len) == 0;
    };
    if (starts("PK\x03\x04", 4) || starts("PK\x05\x06", 4) || starts("PK\x07\x08", 4))
        return Sniffed::Archive;
    if (starts("7z\xBC\xAF\x27\x1C", 6)) return Sniffed::Archive;
    if (n >= 262 && std::memcmp(b + 257, "ustar", 5) == 0) return Sniffed::Archive;
    if (starts("\x1F\x8B", 2) || starts("\xFD" "7zXZ\x00", 6) || starts("BZh", 3) ||
        starts("\x28\xB5\x2F\xFD", 4) || starts("\x04\x22\x4D\x18", 4))
        return Sniffed::Compressed;  // or a compressed tar: open() tells
    return Sniffed::Plain;
}

class ArchiveReader {
public:
    explicit ArchiveReader(const fs::path& path) : m_path(path.string()) {
        m_a = archive_read_new();
        if (!m_a) fail("out of memory opening " + m_path);
        archive_read_support_filter_all(m_a);
        archive_read_support_format_zip(m_a);
        archive_read_support_format_tar(m_a);
        archive_read_support_format_7zip(m_a);
        archive_read_support_format_raw(m_a);  // lowest bid: a compressed single file
        archive_read_support_format_empty(m_a);  // a compressed empty file (raw refuses it)
        if (archive_read_open_filename(m_a, m_path.c_str(), 1 << 20) != ARCHIVE_OK) {
            const char* why = archive_error_string(m_a);
            const std::string message =
                std::string("cannot open the archive") + (why ? std::string(": ") + why : "");
            archive_read_free(m_a);  // the destructor does not run for a throwing constructor
            failAt(m_path, 0, message);
        }
    }
    ~ArchiveReader() { archive_read_free(m_a); }
    ArchiveReader(const ArchiveReader&) = delete;
    ArchiveReader& operator=(const ArchiveReader&) = delete;

    // Next entry; false at the end.
    bool next(archive_entry*& entry) {
        const int r = archive_read_next_header(m_a, &entry);
        if (r == ARCHIVE_EOF) return false;
        if (r == ARCHIVE_FATAL || r == ARCHIVE_RETRY)
            failHere("the archive is corrupt or unreadable");
        return true;  // ARCHIVE_OK or ARCHIVE_WARN
    }
    bool isRaw() const { return archive_format(m_a) == ARCHIVE_FORMAT_RAW; }

    archive* handle() { return m_a; }

    [[noreturn]] void failHere(const std::string& what) {
        const char* why = archive_error_string(m_a);
        failAt(m_path, 0, what + (why ? std::string(": ") + why : std::string()));
    }

private:
    archive* m_a = nullptr;
    std::string m_path;
};

bool skippedMember(const std::string& name) {
    if (name.rfind("__MACOSX/", 0) == 0) return true;
    const std::string base = baseName(name);
    return base.empty() || base.rfind("._", 0) == 0 || base == ".DS_Store";
}

// Reads the current entry's data whole (or maxBytes), without copying at the end. The size an
// archive declares only sizes the first buffer (up to 64 MiB: a few bytes of zip header must
// not reserve a gigabyte; larger data grows the buffer by doubling, which realloc does without
// copying); data that decompresses to more than `limit` bytes (the caller's memory limit, or
// 90 % of the machine's memory) is refused rather than exhausting it: a zip bomb stops there.
struct DecompressionLimit {
    double bytes = 0;        // what may still be decompressed (0: 90 % of the machine)
    double given = 0;        // the caller's limit (0: none, the machine's memory applies)
    bool shared = false;     // earlier members of the same read took part of it
};

Blob readEntry(archive* a, const std::string& display, std::uint64_t expected,
               std::size_t maxBytes, const ProgressFn& progress, const DecompressionLimit& limit) {
    const double machine = physicalMemoryBytes();
    double capBytes = limit.bytes > 0 ? limit.bytes : (machine > 0 ? 0.9 * machine : 0.0);
    const std::size_t hardCap =
        capBytes > 0 ? static_cast<std::size_t>(std::max(capBytes, 4096.0))
                     : std::numeric_limits<std::size_t>::max();
    const auto refuse = [&] {
        const std::string cap = formatBytes(static_cast<double>(hardCap));
        if (limit.given > 0 && limit.shared)
            failAt(display, 0, "decompresses to more than the " + cap + " left of the memory limit (" +
                                   formatBytes(limit.given) + ") after the files read before it");
        if (limit.given > 0)
            failAt(display, 0, "decompresses to more than the memory limit (" + cap + ")");
        failAt(display, 0, "decompresses to more than " + cap + "; this machine has " +
                               formatBytes(machine) + " of memory");
    };
    auto buffer = std::make_shared<MallocBuffer>();
    std::size_t cap = std::size_t(1) << 20;
    if (expected > 0)
        cap = static_cast<std::size_t>(
                  std::min<std::uint64_t>({expected, maxBytes, std::uint64_t(1) << 26})) +
              1;
    cap = std::min(std::max<std::size_t>(cap, 4096), hardCap);
    buffer->data = static_cast<char*>(std::malloc(cap));
    if (!buffer->data) failAt(display, 0, "not enough memory to decompress");
    std::size_t pos = 0;
    std::size_t sinceReport = 0;
    while (pos < maxBytes) {
        if (pos == cap) {
            if (cap >= hardCap) {
                // Full: one byte more says whether the data really goes on.
                char probe;
                const la_ssize_t more = archive_read_data(a, &probe, 1);
                if (more == 0) break;
                refuse();
            }
            cap = std::min(cap * 2, hardCap);
            char* grown = static_cast<char*>(std::realloc(buffer->data, cap));
            if (!grown) failAt(display, 0, "not enough memory to decompress");
            buffer->data = grown;
        }
        const std::size_t want = std::min({cap - pos, maxBytes - pos, std::size_t(8) << 20});
        const la_ssize_t got = archive_read_data(a, buffer->data + pos, want);
        if (got < 0) {
            if (got == ARCHIVE_WARN) continue;
            const char* why = archive_error_string(a);
            failAt(display, 0,
                   std::string("cannot decompress: ") + (why ? why : "the data is corrupt"));
        }
        if (got == 0) break;
        pos += static_cast<std::size_t>(got);
        sinceReport += static_cast<std::size_t>(got);
        if (progress && sinceReport >= (std::size_t(16) << 20)) {
            sinceReport = 0;
            if (!progress(pos, expected)) failAt(display, 0, "cancelled");
        }
    }
    if (pos + 4096 < cap) {
        if (char* shrunk = static_cast<char*>(std::realloc(buffer->data, pos + 1)))
            buffer->data = shrunk;
    }
    const std::string_view view(buffer->data, pos);
    return Blob::shared(std::move(buffer), view);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Container

Container Container::open(const fs::path& path) {
    std::error_code ec;
    const auto status = fs::status(path, ec);
    if (ec || !fs::exists(status)) failAt(path.string(), 0, "no such file or folder");
    Container c;
    if (fs::is_directory(status)) {
        c.m_kind = Kind::Folder;
        c.m_path = path;
        return c;
    }
    switch (sniff(path)) {
    case Sniffed::Plain: {
        c.m_kind = Kind::Folder;
        c.m_path = path.has_parent_path() ? path.parent_path() : fs::path(".");
        c.m_primary = path.filename().string();
        return c;
    }
    case Sniffed::Archive:
    case Sniffed::Compressed: {
        const bool compressed = sniff(path) == Sniffed::Compressed;
        ArchiveReader reader(path);
        archive_entry* entry = nullptr;
        c.m_path = path;
        // A compressed single file: one member named after the file's stem.
        const auto singleMember = [&c, &path] {
            c.m_kind = Kind::Compressed;
            std::string stem = path.stem().string();
            if (stem.empty()) stem = "data";
            c.m_primary = stem;
            c.m_names = {stem};
            c.m_sizes = {0};
            c.m_listed = true;
            return c;
        };
        bool first = true;
        while (reader.next(entry)) {
            if (first && reader.isRaw()) return singleMember();
            first = false;
            c.m_kind = Kind::Archive;
            if (archive_entry_filetype(entry) != AE_IFREG) continue;
            const char* name = archive_entry_pathname(entry);
            if (!name) continue;
            std::string member = name;
            while (member.rfind("./", 0) == 0) member.erase(0, 2);
            if (skippedMember(member)) continue;
            c.m_names.push_back(member);
            c.m_sizes.push_back(archive_entry_size_is_set(entry)
                                    ? static_cast<std::uint64_t>(archive_entry_size(entry))
                                    : 0);
        }
        if (first && compressed) return singleMember();  // holding nothing: reading says so
        c.m_kind = Kind::Archive;
        c.m_listed = true;
        // Sort names, keeping sizes aligned.
        std::vector<std::size_t> order(c.m_names.size());
        for (std::size_t k = 0; k < order.size(); ++k) order[k] = k;
        std::sort(order.begin(), order.end(),
                  [&](std::size_t a, std::size_t b) { return c.m_names[a] < c.m_names[b]; });
        std::vector<std::string> names;
        std::vector<std::uint64_t> sizes;
        for (auto k : order) {
            names.push_back(c.m_names[k]);
            sizes.push_back(c.m_sizes[k]);
        }
        c.m_names = std::move(names);
        c.m_sizes = std::move(sizes);
        return c;
    }
    }
    return c;
}

const std::vector<std::string>& Container::names() const {
    if (m_listed) return m_names;
    m_listed = true;
    std::error_code ec;
    fs::recursive_directory_iterator it(m_path, fs::directory_options::skip_permission_denied, ec);
    if (ec) failAt(m_path.string(), 0, "cannot list the folder: " + ec.message());
    std::size_t seen = 0;
    for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (ec) break;
        if (++seen > 200000) break;  // not a dataset folder
        const std::string base = it->path().filename().string();
        if (!base.empty() && base[0] == '.') {
            if (it->is_directory(ec)) it.disable_recursion_pending();
            continue;
        }
        if (it->is_directory(ec)) {
            if (it.depth() >= 2) it.disable_recursion_pending();
            continue;
        }
        if (!it->is_regular_file(ec)) continue;
        std::string rel = fs::relative(it->path(), m_path, ec).generic_string();
        if (ec || skippedMember(rel)) continue;
        m_names.push_back(std::move(rel));
    }
    std::sort(m_names.begin(), m_names.end());
    return m_names;
}

bool Container::exists(const std::string& name) const {
    if (m_kind == Kind::Folder) {
        std::error_code ec;
        return fs::is_regular_file(m_path / name, ec);
    }
    const auto& all = names();
    return std::binary_search(all.begin(), all.end(), name);
}

std::uint64_t Container::sizeOf(const std::string& name) const {
    if (m_kind == Kind::Folder) {
        std::error_code ec;
        const auto s = fs::file_size(m_path / name, ec);
        return ec ? 0 : s;
    }
    const auto& all = names();
    const auto it = std::lower_bound(all.begin(), all.end(), name);
    if (it == all.end() || *it != name || m_sizes.empty()) return 0;
    return m_sizes[static_cast<std::size_t>(it - all.begin())];
}

std::string Container::display(const std::string& name) const {
    if (m_kind == Kind::Folder) return (m_path / name).string();
    if (m_kind == Kind::Compressed) return m_path.string();
    return m_path.string() + ":" + name;
}

Blob Container::read(const std::string& name, std::size_t maxBytes, const ProgressFn& progress,
                     double memoryLimit) const {
    if (m_kind == Kind::Folder) {
        const fs::path file = m_path / name;
        std::error_code ec;
        if (!fs::is_regular_file(file, ec)) failAt(file.string(), 0, "no such file");
        Blob whole = Blob::mapFile(file);
        return whole;  // maxBytes only limits decompression work; a mapping costs nothing
    }
    ArchiveReader reader(m_path);
    archive_entry* entry = nullptr;
    while (reader.next(entry)) {
        std::string member;
        if (m_kind == Kind::Compressed) {
            member = m_primary;
        } else {
            // Only regular files, as open() lists them: a symlink or folder of the same name
            // before the file hid it ("the file is empty").
            if (archive_entry_filetype(entry) != AE_IFREG) continue;
            const char* p = archive_entry_pathname(entry);
            if (!p) continue;
            member = p;
            while (member.rfind("./", 0) == 0) member.erase(0, 2);
        }
        if (member != name) continue;
        return readEntry(reader.handle(), display(name), sizeOf(name), maxBytes, progress,
                         {memoryLimit, memoryLimit, false});
    }
    if (m_kind == Kind::Compressed && name == m_primary) return Blob();  // compressed nothing
    failAt(display(name), 0, "no such file in the archive");
}

std::vector<Blob> Container::readMany(const std::vector<std::string>& wanted,
                                      double memoryLimit) const {
    std::vector<Blob> out(wanted.size());
    if (m_kind != Kind::Archive) {
        for (std::size_t k = 0; k < wanted.size(); ++k)
            out[k] = read(wanted[k], SIZE_MAX, {}, memoryLimit);
        return out;
    }
    const double total = memoryLimit > 0 ? memoryLimit : 0.9 * physicalMemoryBytes();
    double used = 0;
    std::vector<std::pair<std::string, std::size_t>> index;
    for (std::size_t k = 0; k < wanted.size(); ++k) index.emplace_back(wanted[k], k);
    std::sort(index.begin(), index.end());
    std::vector<bool> found(wanted.size(), false);
    ArchiveReader reader(m_path);
    archive_entry* entry = nullptr;
    while (reader.next(entry)) {
        if (archive_entry_filetype(entry) != AE_IFREG) continue;  // as open() and read()
        const char* p = archive_entry_pathname(entry);
        if (!p) continue;
        std::string member = p;
        while (member.rfind("./", 0) == 0) member.erase(0, 2);
        auto it = std::lower_bound(index.begin(), index.end(),
                                   std::make_pair(member, std::size_t(0)));
        for (; it != index.end() && it->first == member; ++it) {
            if (found[it->second]) continue;
            // What the members read so far took is no longer available to this one.
            const DecompressionLimit left{total > 0 ? std::max(total - used, 1.0) : 0.0, memoryLimit,
                                          used > 0};
            out[it->second] = readEntry(reader.handle(), display(member), sizeOf(member),
                                        SIZE_MAX, {}, left);
            used += static_cast<double>(out[it->second].view().size());
            found[it->second] = true;
            break;
        }
    }
    for (std::size_t k = 0; k < wanted.size(); ++k)
        if (!found[k]) failAt(display(wanted[k]), 0, "no such file in the archive");
    return out;
}

}  // namespace vaecf::core::detail
