// SPDX-License-Identifier: MIT
#include "vaecf/model_file.h"

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <set>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "vaecf/error.h"
#include "vaecf/json_number.h"

namespace vaecf::core {

namespace {

constexpr char kMagic[8] = {'V', 'A', 'E', 'C', 'F', 'M', 'D', 'L'};
static_assert(std::endian::native == std::endian::little, "model files are little-endian");

template <typename T>
void put(std::string& out, T v) {
    char b[sizeof(T)];
    std::memcpy(b, &v, sizeof(T));
    out.append(b, sizeof(T));
}

class Reader {
public:
    Reader(const std::string& bytes, std::string path, std::string kind)
        : m_b(bytes), m_path(std::move(path)), m_kind(std::move(kind)) {}
    template <typename T>
    T get(const char* what) {
        need(sizeof(T), what);
        T v;
        std::memcpy(&v, m_b.data() + m_pos, sizeof(T));
        m_pos += sizeof(T);
        return v;
    }
    std::string bytes(std::uint64_t n, const char* what) {
        need(n, what);
        std::string s = m_b.substr(m_pos, n);
        m_pos += n;
        return s;
    }
    void floats(std::vector<float>& out, std::uint64_t n, const char* what) {
        if (n > (m_b.size() - m_pos) / sizeof(float)) truncated(what);
        out.resize(n);
        if (n > 0)  // an empty tensor's data() may be null, which memcpy must not get
            std::memcpy(out.data(), m_b.data() + m_pos, n * sizeof(float));
        m_pos += n * sizeof(float);
    }
    std::size_t pos() const { return m_pos; }

private:
    void need(std::uint64_t n, const char* what) {
        if (n > m_b.size() - m_pos) truncated(what);
    }
    [[noreturn]] void truncated(const char* what) {
        fail(m_path + ": the " + m_kind + " is truncated (ends inside the " + what + ")");
    }
    const std::string& m_b;
    std::string m_path;
    std::string m_kind;
    std::size_t m_pos = 0;
};

// Temporary files of `path`: ".<name>.tmp-<pid>-<random>" (the random part 10 digits).
std::string tempPrefix(const std::filesystem::path& path) {
    return "." + path.filename().string() + ".tmp-";
}

// Removes the temporary files of `path` whose writer is gone (a process killed mid-write).
// Only names this build makes are considered, and only when their process id is not alive.
void removeStaleTemporaries(const std::filesystem::path& dir, const std::filesystem::path& path) {
    const std::string prefix = tempPrefix(path);
    std::error_code ec;
    for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) continue;
        const std::string rest = name.substr(prefix.size());
        const auto dash = rest.find('-');
        if (dash == 0 || dash == std::string::npos || dash > 9 ||
            rest.find_first_not_of("0123456789") != dash ||
            rest.find_first_not_of("0123456789", dash + 1) != std::string::npos || dash + 1 == rest.size())
            continue;
        const long pid = std::stol(rest.substr(0, dash));
        if (pid <= 0 || pid == static_cast<long>(getpid())) continue;
        if (kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;  // alive (or not ours)
        std::error_code rm;
        std::filesystem::remove(it->path(), rm);
    }
}

}  // namespace

void writeFileAtomically(const std::filesystem::path& path, const std::string& bytes) {
    const auto dir = path.parent_path().empty() ? std::filesystem::path(".") : path.parent_path();
    if (!std::filesystem::is_directory(dir))
        fail(path.string() + ": cannot write: folder " + dir.string() + " does not exist");
    removeStaleTemporaries(dir, path);
    // A random part of fixed width: names of one length, whatever the draw.
    std::random_device rd;
    char random[16];
    std::snprintf(random, sizeof random, "%010u", static_cast<unsigned>(rd()));
    const auto tmp = dir / (tempPrefix(path) + std::to_string(getpid()) + "-" + random);
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0) fail(path.string() + ": cannot write: " + std::strerror(errno));
    const auto failWith = [&](const std::string& what) {
        const int err = errno;
        ::close(fd);
        std::error_code ec;
        std::filesystem::remove(tmp, ec);
        fail(path.string() + ": " + what + ": " + std::strerror(err));
    };
    for (std::size_t off = 0; off < bytes.size();) {
        const ssize_t n = ::write(fd, bytes.data() + off, std::min<std::size_t>(bytes.size() - off, 1u << 30));
        if (n < 0) {
            if (errno == EINTR) continue;
            failWith("write failed");
        }
        off += static_cast<std::size_t>(n);
    }
    // On disk before the rename, so that the new name never points at missing data.
    if (::fsync(fd) != 0 && errno != EINVAL) failWith("write failed");
    if (::close(fd) != 0) {
        std::error_code ec;
        std::filesystem::remove(tmp, ec);
        fail(path.string() + ": write failed: " + std::strerror(errno));
    }
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) {
        std::filesystem::remove(tmp, ec);
        fail(path.string() + ": cannot replace the file: " + ec.message());
    }
    // The rename itself on disk (best effort: some file systems refuse to sync folders).
    const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        ::fsync(dfd);
        ::close(dfd);
    }
}

namespace {

std::uint32_t crcOf(const std::string& bytes, std::size_t size) {
    uLong c = crc32(0L, Z_NULL, 0);
    // zlib's crc32 takes at most 4 GiB per call.
    for (std::size_t off = 0; off < size;) {
        const std::size_t n = std::min<std::size_t>(size - off, 1u << 30);
        c = crc32(c, reinterpret_cast<const Bytef*>(bytes.data() + off), static_cast<uInt>(n));
        off += n;
    }
    return static_cast<std::uint32_t>(c);
}

}  // namespace

TensorRefs tensorRefs(const TensorMap& tensors, const std::string& prefix) {
    TensorRefs refs;
    refs.reserve(tensors.size());
    for (const auto& [name, t] : tensors) refs.emplace_back(prefix + name, &t);
    return refs;
}

void writeContainerFile(const std::filesystem::path& path, const nlohmann::json& header,
                        const TensorRefs& tensors) {
    const std::string h = header.dump();
    std::size_t size = 8 + 4 + 4 + 8 + h.size() + 8 + 4;
    std::set<std::string_view> names;
    for (const auto& [name, t] : tensors) {
        if (!names.insert(name).second) fail(path.string() + ": tensor '" + name + "' is given twice");
        if (static_cast<std::int64_t>(t->data.size()) != t->rows * t->cols)
            fail(path.string() + ": tensor '" + name + "' holds " + std::to_string(t->data.size()) +
                 " values, not " + std::to_string(t->rows) + " x " + std::to_string(t->cols));
        size += 4 + name.size() + 16 + t->data.size() * sizeof(float);
    }
    std::string out;
    out.reserve(size);
    out.append(kMagic, 8);
    put<std::uint32_t>(out, kModelFormatVersion);
    put<std::uint32_t>(out, 0);
    put<std::uint64_t>(out, h.size());
    out += h;
    put<std::uint64_t>(out, tensors.size());
    for (const auto& [name, t] : tensors) {
        put<std::uint32_t>(out, static_cast<std::uint32_t>(name.size()));
        out += name;
        put<std::int64_t>(out, t->rows);
        put<std::int64_t>(out, t->cols);
        out.append(reinterpret_cast<const char*>(t->data.data()), t->data.size() * sizeof(float));
    }
    put<std::uint32_t>(out, crcOf(out, out.size()));
    writeFileAtomically(path, out);
}

ContainerFile readContainerFile(const std::filesystem::path& path, const std::string& kind) {
    const std::string p = path.string();
    const std::string noun = kind == "model file" ? "model" : kind;
    std::ifstream in(path, std::ios::binary);
    if (!in) fail(p + ": cannot open the " + kind + ": " + std::strerror(errno));
    std::string bytes;
    in.seekg(0, std::ios::end);
    const std::streamoff length = in.tellg();
    in.seekg(0, std::ios::beg);
    if (length > 0) {
        bytes.resize(static_cast<std::size_t>(length));
        in.read(bytes.data(), length);
        bytes.resize(static_cast<std::size_t>(in.gcount()));
    }
    if (bytes.size() < 8 || std::memcmp(bytes.data(), kMagic, 8) != 0)
        fail(p + ": not a VAE-CF Studio " + kind + " (the magic header is missing)");
    Reader r(bytes, p, kind);
    r.bytes(8, "magic header");
    const auto version = r.get<std::uint32_t>("format version");
    if (version != kModelFormatVersion)
        fail(p + ": " + noun + " format version " + std::to_string(version) +
             " is not supported (this build reads version " +
             std::to_string(kModelFormatVersion) + ")");
    if (bytes.size() < 8 + 4 + 4 + 8 + 4)
        fail(p + ": the " + kind + " is truncated (ends inside the header)");
    std::uint32_t stored;
    std::memcpy(&stored, bytes.data() + bytes.size() - 4, 4);
    if (crcOf(bytes, bytes.size() - 4) != stored)
        fail(p + ": the " + kind + " is corrupted or truncated (checksum mismatch)");
    r.get<std::uint32_t>("flags");
    const auto hlen = r.get<std::uint64_t>("header length");
    ContainerFile f;
    try {
        f.header = nlohmann::json::parse(r.bytes(hlen, "header"));
    } catch (const nlohmann::json::exception& e) {
        fail(p + ": the " + kind + " header is invalid: " + e.what());
    }
    if (!f.header.is_object()) fail(p + ": the " + kind + " header is not a JSON object");
    const auto count = r.get<std::uint64_t>("tensor count");
    for (std::uint64_t k = 0; k < count; ++k) {
        const auto nlen = r.get<std::uint32_t>("tensor name");
        std::string name = r.bytes(nlen, "tensor name");
        Tensor t;
        t.rows = r.get<std::int64_t>("tensor shape");
        t.cols = r.get<std::int64_t>("tensor shape");
        if (t.rows < 0 || t.cols < 0 || (t.cols > 0 && t.rows > (1ll << 40) / t.cols))
            fail(p + ": tensor '" + name + "' has an impossible shape");
        r.floats(t.data, static_cast<std::uint64_t>(t.rows * t.cols), "tensor data");
        if (!f.tensors.emplace(name, std::move(t)).second)
            fail(p + ": tensor '" + name + "' appears twice");
    }
    if (r.pos() != bytes.size() - 4)
        fail(p + ": the " + kind + " has unexpected bytes after the last tensor");
    return f;
}

void saveModelFile(const std::filesystem::path& path, const Model& model, const ModelMeta& meta) {
    if (!model.initialized()) fail(path.string() + ": cannot save a model that was never trained");
    if (!meta.itemIds.empty() && static_cast<std::int64_t>(meta.itemIds.size()) != model.numItems())
        fail(path.string() + ": the item id map has " + std::to_string(meta.itemIds.size()) +
             " entries, the model " + std::to_string(model.numItems()) + " items");
    nlohmann::json header;
    header["model"] = model.info().id;
    header["config"] = model.config();
    header["items"] = model.numItems();
    header["users"] = model.numUsers();
    header["item_ids"] = meta.itemIds;
    header["item_titles"] = meta.itemTitles;
    header["dataset"] = meta.datasetName;
    header["split_fingerprint"] = meta.splitFingerprint;
    header["training"] = meta.training;
    header["written_by"] = "vaecf-studio 0.1.0";
    const TensorMap tensors = model.parameters();
    writeContainerFile(path, header, tensorRefs(tensors));
}

namespace {

// The header's counts must fit the tensors the file holds, so that a small (crafted or
// corrupt) file cannot make initialize() allocate gigabytes before setState() refuses it.
// Every model keeps at least one value per item, two-sided models one per user too, and
// the weights are most of what a model needs; the user count sizes an 8-byte offset per user.
void checkDeclaredShapes(const std::string& p, const LoadedModel& lm, std::int64_t items,
                         std::int64_t users, const TensorMap& tensors) {
    std::uint64_t held = 0;
    for (const auto& [name, t] : tensors) held += t.data.size();
    const std::string values = " but its tensors hold " + std::to_string(held) + " values";
    if (items < 1 || static_cast<std::uint64_t>(items) > held)
        fail(p + ": the header declares " + std::to_string(items) + " items" + values +
             " (expected at least one value per item)");
    if (!lm.meta.itemIds.empty() && lm.meta.itemIds.size() != static_cast<std::uint64_t>(items))
        fail(p + ": the header lists " + std::to_string(lm.meta.itemIds.size()) +
             " item ids for " + std::to_string(items) + " items (expected one id per item)");
    if (!lm.meta.itemTitles.empty() &&
        lm.meta.itemTitles.size() != static_cast<std::uint64_t>(items))
        fail(p + ": the header lists " + std::to_string(lm.meta.itemTitles.size()) +
             " item titles for " + std::to_string(items) +
             " items (expected none or one per item)");
    // Two-sided models hold values per user and loading sizes a row index of users + 1
    // offsets. One-sided ones only keep the count (emptyTrainingShape allocates nothing per
    // user), so any count up to 2^31 loads: a popularity model of 20M users and 1M items saved
    // a file that an earlier bound of 16 users per value refused to load again.
    const bool twoSided = lm.model->info().family == ModelFamily::TwoSided;
    if (twoSided && static_cast<std::uint64_t>(users) > held)
        fail(p + ": the header declares " + std::to_string(users) + " users" + values +
             " (expected at least one value per user)");
    const double need = lm.model->memoryEstimate(users, items, 0);
    const double have = 4.0 * static_cast<double>(held);
    if (need > 1024.0 * have + double(1u << 30))
        fail(p + ": the header's item count, user count and hyperparameters describe a model "
                 "of about " + formatBytes(need) + values +
             " (expected the weights of such a model)");
}

}  // namespace

LoadedModel loadModelFile(const std::filesystem::path& path) {
    const std::string p = path.string();
    ContainerFile f = readContainerFile(path, "model file");
    const nlohmann::json& header = f.header;
    if (header.contains("kind") && header["kind"] == "checkpoint")
        fail(p + ": this is a training checkpoint, not a model file; continue the run with "
                 "vaecf train --resume " + p);
    try {
        LoadedModel lm;
        lm.meta.itemIds = header.at("item_ids").get<std::vector<std::string>>();
        lm.meta.itemTitles = header.at("item_titles").get<std::vector<std::string>>();
        lm.meta.datasetName = header.at("dataset").get<std::string>();
        lm.meta.splitFingerprint = header.at("split_fingerprint").get<std::string>();
        lm.meta.training = header.at("training");
        const auto items = jsonInteger<std::int64_t>(header.at("items"), "header field 'items'");
        lm.model = createModel(header.at("model").get<std::string>(), header.at("config"));
        // The training matrix's user count (older files lack "users": 0). Two-sided models
        // came after the field and cannot do without it (their tensors are per user).
        if (!header.contains("users") && lm.model->info().family == ModelFamily::TwoSided)
            fail(p + ": the header lacks 'users', which a " + lm.model->info().id +
                 " model needs (its weights are per user)");
        const std::int64_t users =
            header.contains("users")
                ? jsonInteger<std::int64_t>(header["users"], "header field 'users'")
                : 0;
        if (users < 0 || users > (1ll << 31))
            fail(p + ": the model file header has an impossible user count");
        checkDeclaredShapes(p, lm, items, users, f.tensors);
        lm.model->initialize(emptyTrainingShape(*lm.model, users, items), 0);
        lm.model->setState(f.tensors);
        return lm;
    } catch (const nlohmann::json::exception& e) {
        fail(p + ": the model file header is invalid: " + e.what());
    } catch (const Error& e) {
        const std::string w = e.what();
        if (w.rfind(p, 0) == 0) throw;
        fail(p + ": " + w);
    }
}

}  // namespace vaecf::core
