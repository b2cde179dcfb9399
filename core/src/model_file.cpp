// SPDX-License-Identifier: MIT
#include "vaecf/model_file.h"

#include <bit>
#include <cstring>
#include <fstream>
#include <random>

#include <unistd.h>
#include <zlib.h>

#include "vaecf/error.h"

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
    Reader(const std::string& bytes, std::string path) : m_b(bytes), m_path(std::move(path)) {}
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
        std::memcpy(out.data(), m_b.data() + m_pos, n * sizeof(float));
        m_pos += n * sizeof(float);
    }
    std::size_t pos() const { return m_pos; }

private:
    void need(std::uint64_t n, const char* what) {
        if (n > m_b.size() - m_pos) truncated(what);
    }
    [[noreturn]] void truncated(const char* what) {
        fail(m_path + ": the model file is truncated (ends inside the " + what + ")");
    }
    const std::string& m_b;
    std::string m_path;
    std::size_t m_pos = 0;
};

}  // namespace

void writeFileAtomically(const std::filesystem::path& path, const std::string& bytes) {
    const auto dir = path.parent_path().empty() ? std::filesystem::path(".") : path.parent_path();
    if (!std::filesystem::is_directory(dir))
        fail(path.string() + ": cannot write: folder " + dir.string() + " does not exist");
    std::random_device rd;
    const auto tmp = dir / ("." + path.filename().string() + ".tmp-" + std::to_string(rd()));
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out) fail(path.string() + ": cannot write: " + std::strerror(errno));
        out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        out.flush();
        if (!out) {
            std::error_code ec;
            std::filesystem::remove(tmp, ec);
            fail(path.string() + ": write failed (disk full?)");
        }
    }
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) {
        std::filesystem::remove(tmp, ec);
        fail(path.string() + ": cannot replace the file: " + ec.message());
    }
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
    const std::string h = header.dump();

    std::string out;
    out.append(kMagic, 8);
    put<std::uint32_t>(out, kModelFormatVersion);
    put<std::uint32_t>(out, 0);
    put<std::uint64_t>(out, h.size());
    out += h;
    const TensorMap tensors = model.parameters();
    put<std::uint64_t>(out, tensors.size());
    for (const auto& [name, t] : tensors) {
        put<std::uint32_t>(out, static_cast<std::uint32_t>(name.size()));
        out += name;
        put<std::int64_t>(out, t.rows);
        put<std::int64_t>(out, t.cols);
        out.append(reinterpret_cast<const char*>(t.data.data()), t.data.size() * sizeof(float));
    }
    uLong c = crc32(0L, Z_NULL, 0);
    // zlib's crc32 takes at most 4 GiB per call.
    for (std::size_t off = 0; off < out.size();) {
        const std::size_t n = std::min<std::size_t>(out.size() - off, 1u << 30);
        c = crc32(c, reinterpret_cast<const Bytef*>(out.data() + off), static_cast<uInt>(n));
        off += n;
    }
    put<std::uint32_t>(out, static_cast<std::uint32_t>(c));
    writeFileAtomically(path, out);
}

LoadedModel loadModelFile(const std::filesystem::path& path) {
    const std::string p = path.string();
    std::ifstream in(path, std::ios::binary);
    if (!in) fail(p + ": cannot open the model file: " + std::strerror(errno));
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (bytes.size() < 8 || std::memcmp(bytes.data(), kMagic, 8) != 0)
        fail(p + ": not a VAE-CF Studio model file (the magic header is missing)");
    Reader r(bytes, p);
    r.bytes(8, "magic header");
    const auto version = r.get<std::uint32_t>("format version");
    if (version != kModelFormatVersion)
        fail(p + ": model format version " + std::to_string(version) +
             " is not supported (this build reads version " +
             std::to_string(kModelFormatVersion) + ")");
    if (bytes.size() < 8 + 4 + 4 + 8 + 4)
        fail(p + ": the model file is truncated (ends inside the header)");
    std::uint32_t stored;
    std::memcpy(&stored, bytes.data() + bytes.size() - 4, 4);
    uLong c = crc32(0L, Z_NULL, 0);
    for (std::size_t off = 0; off < bytes.size() - 4;) {
        const std::size_t n = std::min<std::size_t>(bytes.size() - 4 - off, 1u << 30);
        c = crc32(c, reinterpret_cast<const Bytef*>(bytes.data() + off), static_cast<uInt>(n));
        off += n;
    }
    if (static_cast<std::uint32_t>(c) != stored)
        fail(p + ": the model file is corrupted or truncated (checksum mismatch)");
    r.get<std::uint32_t>("flags");
    const auto hlen = r.get<std::uint64_t>("header length");
    nlohmann::json header;
    try {
        header = nlohmann::json::parse(r.bytes(hlen, "header"));
        LoadedModel lm;
        lm.meta.itemIds = header.at("item_ids").get<std::vector<std::string>>();
        lm.meta.itemTitles = header.at("item_titles").get<std::vector<std::string>>();
        lm.meta.datasetName = header.at("dataset").get<std::string>();
        lm.meta.splitFingerprint = header.at("split_fingerprint").get<std::string>();
        lm.meta.training = header.at("training");
        const auto items = header.at("items").get<std::int64_t>();
        lm.model = createModel(header.at("model").get<std::string>(), header.at("config"));
        const auto count = r.get<std::uint64_t>("tensor count");
        TensorMap tensors;
        for (std::uint64_t k = 0; k < count; ++k) {
            const auto nlen = r.get<std::uint32_t>("tensor name");
            std::string name = r.bytes(nlen, "tensor name");
            Tensor t;
            t.rows = r.get<std::int64_t>("tensor shape");
            t.cols = r.get<std::int64_t>("tensor shape");
            if (t.rows < 0 || t.cols < 0 || (t.cols > 0 && t.rows > (1ll << 40) / t.cols))
                fail(p + ": tensor '" + name + "' has an impossible shape");
            r.floats(t.data, static_cast<std::uint64_t>(t.rows * t.cols), "tensor data");
            tensors.emplace(std::move(name), std::move(t));
        }
        if (r.pos() != bytes.size() - 4)
            fail(p + ": the model file has unexpected bytes after the last tensor");
        // An empty matrix of the training shape (older files lack "users": 0 rows).
        CsrMatrix shape;
        shape.rows = header.value("users", std::int64_t{0});
        if (shape.rows < 0 || shape.rows > (1ll << 31))
            fail(p + ": the model file header has an impossible user count");
        shape.cols = items;
        shape.indptr.assign(static_cast<std::size_t>(shape.rows + 1), 0);
        lm.model->initialize(shape, 0);
        lm.model->setState(tensors);
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
