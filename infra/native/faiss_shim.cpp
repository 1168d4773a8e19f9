// A C ABI over FAISS for the managed FaissVectorIndex. Every entry point catches C++ exceptions and
// returns -1 with a message in a thread-local string (faiss_shim_last_error), so bad calls never
// take the process down.
//
// Ids: FAISS 1.7.3 cannot remove from HNSW, and IndexIDMap2::remove_ids assumes the sub-index renumbers
// (true for Flat, false for IVF), so the shim keeps its own map instead of IndexIDMap2: FAISS labels are
// insertion positions, labels[] maps them to the caller's int64 ids, and removal or replacement
// tombstones the old position. Searches over-fetch by the tombstone count and filter.
#include <faiss/AutoTune.h>
#include <faiss/IVFlib.h>
#include <faiss/IndexIVF.h>
#include <faiss/clone_index.h>
#include <faiss/Index.h>
#include <faiss/index_factory.h>
#include <faiss/index_io.h>
#include <faiss/impl/FaissException.h>
#include <faiss/impl/io.h>

#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <unordered_map>
#include <vector>

#define SHIM_API extern "C" __attribute__((visibility("default")))

namespace faiss_shim {
extern int simd_requested;
bool simd_active();
} // namespace faiss_shim

namespace {

thread_local std::string last_error;

constexpr uint32_t kMagic = 0x314D4853; // "SHM1"
constexpr uint32_t kVersion = 1;

struct ShimIndex {
    std::unique_ptr<faiss::Index> index;
    std::vector<int64_t> labels;            // FAISS label (position) → caller id
    std::vector<uint8_t> removed;           // FAISS label → 1 when tombstoned
    std::unordered_map<int64_t, int64_t> positions; // live caller id → FAISS label
    int64_t tombstones = 0;
    std::string spec;
};

struct ShimError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct OmpSingleThread {
    int saved = omp_get_max_threads();
    OmpSingleThread() { omp_set_num_threads(1); }
    ~OmpSingleThread() { omp_set_num_threads(saved); }
    OmpSingleThread(const OmpSingleThread&) = delete;
    OmpSingleThread& operator=(const OmpSingleThread&) = delete;
};

template <typename F>
int guarded(F&& body) {
    try {
        body();
        return 0;
    } catch (const faiss::FaissException& e) {
        last_error = e.msg.empty() ? e.what() : e.msg;
    } catch (const std::bad_alloc&) {
        last_error = "out of memory";
    } catch (const std::exception& e) {
        last_error = e.what();
    } catch (...) {
        last_error = "unknown native error";
    }
    return -1;
}

ShimIndex& checked(void* handle) {
    if (handle == nullptr) throw ShimError("null index handle");
    return *static_cast<ShimIndex*>(handle);
}

void tombstone(ShimIndex& s, int64_t id) {
    auto it = s.positions.find(id);
    if (it == s.positions.end()) return;
    s.removed[it->second] = 1;
    s.tombstones++;
    s.positions.erase(it);
}

template <typename T>
void put(std::vector<uint8_t>& out, const T& value) {
    const auto* p = reinterpret_cast<const uint8_t*>(&value);
    out.insert(out.end(), p, p + sizeof(T));
}

struct Cursor {
    const uint8_t* p;
    size_t left;
    template <typename T>
    T get() {
        T value;
        take(&value, sizeof(T));
        return value;
    }
    void take(void* dst, size_t n) {
        if (n > left) throw ShimError("truncated FAISS index data");
        std::memcpy(dst, p, n);
        p += n;
        left -= n;
    }
};

} // namespace

SHIM_API const char* faiss_shim_last_error() { return last_error.c_str(); }

SHIM_API int faiss_shim_create(const char* spec, int dimension, void** out) {
    return guarded([&] {
        if (out == nullptr || spec == nullptr) throw ShimError("null argument");
        *out = nullptr;
        if (dimension <= 0) throw ShimError("dimension must be positive");
        if (std::strstr(spec, "IDMap") != nullptr) throw ShimError("ids are mapped by the shim; leave IDMap out of the factory string");
        auto s = std::make_unique<ShimIndex>();
        s->index.reset(faiss::index_factory(dimension, spec, faiss::METRIC_INNER_PRODUCT));
        s->spec = spec;
        *out = s.release();
    });
}

SHIM_API void faiss_shim_free(void* handle) { delete static_cast<ShimIndex*>(handle); }

SHIM_API int faiss_shim_dimension(void* handle) {
    int d = -1;
    if (guarded([&] { d = static_cast<int>(checked(handle).index->d); }) != 0) return -1;
    return d;
}

// Live (not tombstoned) vectors.
SHIM_API int64_t faiss_shim_count(void* handle) {
    int64_t n = -1;
    if (guarded([&] { n = static_cast<int64_t>(checked(handle).positions.size()); }) != 0) return -1;
    return n;
}

// Stored vectors including tombstoned ones: what a rebuild would reclaim is this minus the count.
SHIM_API int64_t faiss_shim_ntotal(void* handle) {
    int64_t n = -1;
    if (guarded([&] { n = checked(handle).index->ntotal; }) != 0) return -1;
    return n;
}

SHIM_API int faiss_shim_is_trained(void* handle) {
    int t = -1;
    if (guarded([&] { t = checked(handle).index->is_trained ? 1 : 0; }) != 0) return -1;
    return t;
}

SHIM_API int faiss_shim_train(void* handle, int64_t n, const float* x, int dimension) {
    return guarded([&] {
        auto& s = checked(handle);
        if (dimension != s.index->d) throw ShimError("dimension mismatch: index has " + std::to_string(s.index->d) + ", vectors have " + std::to_string(dimension));
        if (n <= 0 || x == nullptr) throw ShimError("no training vectors");
        s.index->train(n, x);
    });
}

SHIM_API int faiss_shim_add(void* handle, int64_t n, const int64_t* ids, const float* x, int dimension) {
    return guarded([&] {
        auto& s = checked(handle);
        if (dimension != s.index->d) throw ShimError("dimension mismatch: index has " + std::to_string(s.index->d) + ", vectors have " + std::to_string(dimension));
        if (n < 0 || (n > 0 && (ids == nullptr || x == nullptr))) throw ShimError("bad vector batch");
        if (n == 0) return;
        if (!s.index->is_trained) throw ShimError("the index must be trained before adding (IVF and PQ indexes need Train)");
        // A batch may repeat an id: the last occurrence wins, as if added one at a time.
        std::unordered_map<int64_t, int64_t> last;
        last.reserve(static_cast<size_t>(n));
        for (int64_t i = 0; i < n; i++) last[ids[i]] = i;
        int64_t base = s.index->ntotal;
        if (base != static_cast<int64_t>(s.labels.size())) throw ShimError("internal label table out of step with the index");
        s.index->add(n, x);
        s.labels.insert(s.labels.end(), ids, ids + n);
        s.removed.resize(s.labels.size(), 0);
        for (int64_t i = 0; i < n; i++) {
            if (last[ids[i]] != i) {
                s.removed[base + i] = 1;
                s.tombstones++;
                continue;
            }
            tombstone(s, ids[i]);
            s.positions[ids[i]] = base + i;
        }
    });
}

SHIM_API int64_t faiss_shim_remove(void* handle, int64_t n, const int64_t* ids) {
    int64_t removed = 0;
    int rc = guarded([&] {
        auto& s = checked(handle);
        if (n < 0 || (n > 0 && ids == nullptr)) throw ShimError("bad id batch");
        for (int64_t i = 0; i < n; i++) {
            if (s.positions.count(ids[i]) == 0) continue;
            tombstone(s, ids[i]);
            removed++;
        }
    });
    return rc == 0 ? removed : -1;
}

// Writes up to k results, best first; *written gets the number written.
SHIM_API int faiss_shim_search(void* handle, const float* query, int dimension, int k, int64_t* ids, float* scores, int* written) {
    return guarded([&] {
        auto& s = checked(handle);
        if (written == nullptr || query == nullptr) throw ShimError("null argument");
        *written = 0;
        if (dimension != s.index->d) throw ShimError("dimension mismatch: index has " + std::to_string(s.index->d) + ", query has " + std::to_string(dimension));
        if (k <= 0) throw ShimError("k must be positive");
        if (k > 0 && (ids == nullptr || scores == nullptr)) throw ShimError("null result buffers");
        int64_t total = s.index->ntotal;
        if (s.positions.empty() || total == 0) return;
        if (!s.index->is_trained) throw ShimError("the index is not trained");
        // Tombstones can hide up to their number of hits: fetch more until k live ones are found or all are seen.
        int64_t fetch = std::min<int64_t>(total, k + std::min<int64_t>(s.tombstones, std::max(k, 32)));
        std::vector<float> d;
        std::vector<faiss::Index::idx_t> l;
        // One query gains nothing from FAISS's OpenMP regions, and on a busy machine waking their threads
        // costs a scheduler slice per query. The setting is per calling thread and restored on the way out.
        OmpSingleThread single;
        for (;;) {
            d.assign(fetch, 0);
            l.assign(fetch, -1);
            s.index->search(1, query, fetch, d.data(), l.data());
            int n = 0;
            for (int64_t i = 0; i < fetch && n < k; i++) {
                int64_t label = l[i];
                if (label < 0 || label >= total || s.removed[label]) continue;
                ids[n] = s.labels[label];
                scores[n] = d[i];
                n++;
            }
            *written = n;
            if (n == k || fetch >= total || fetch >= k + s.tombstones) return;
            fetch = std::min<int64_t>(total, fetch * 4);
        }
    });
}

// Drops tombstoned vectors: reconstructs the live ones and re-adds them to an emptied clone of the index,
// which keeps training (IVF centroids, PQ codebooks) and parameters. Lossy codes (PQ) are re-encoded from
// their reconstruction, so scores of those may shift slightly.
SHIM_API int faiss_shim_compact(void* handle) {
    return guarded([&] {
        auto& s = checked(handle);
        if (s.tombstones == 0) return;
        int64_t total = s.index->ntotal, live = static_cast<int64_t>(s.positions.size());
        size_t d = static_cast<size_t>(s.index->d);
        if (auto* ivf = faiss::ivflib::try_extract_index_ivf(s.index.get())) ivf->make_direct_map(true);
        std::vector<float> vectors(static_cast<size_t>(live) * d);
        std::vector<int64_t> labels;
        labels.reserve(live);
        for (int64_t label = 0; label < total; label++) {
            if (s.removed[label]) continue;
            s.index->reconstruct(label, vectors.data() + labels.size() * d);
            labels.push_back(s.labels[label]);
        }
        std::unique_ptr<faiss::Index> fresh(faiss::clone_index(s.index.get()));
        fresh->reset();
        if (auto* ivf = faiss::ivflib::try_extract_index_ivf(fresh.get())) ivf->set_direct_map_type(faiss::DirectMap::NoMap);
        if (live > 0) fresh->add(live, vectors.data());
        s.index = std::move(fresh);
        s.labels = std::move(labels);
        s.removed.assign(s.labels.size(), 0);
        s.positions.clear();
        for (size_t i = 0; i < s.labels.size(); i++) s.positions[s.labels[i]] = static_cast<int64_t>(i);
        s.tombstones = 0;
    });
}

// Sets a FAISS tuning parameter ("efSearch", "nprobe", ...) wherever it applies in the index chain.
SHIM_API int faiss_shim_set_parameter(void* handle, const char* name, double value) {
    return guarded([&] {
        auto& s = checked(handle);
        if (name == nullptr) throw ShimError("null parameter name");
        faiss::ParameterSpace().set_index_parameter(s.index.get(), name, value);
    });
}

// Serializes the index and the shim's id table to a malloc'ed buffer freed by faiss_shim_free_buffer.
SHIM_API int faiss_shim_serialize(void* handle, uint8_t** buffer, int64_t* length) {
    return guarded([&] {
        auto& s = checked(handle);
        if (buffer == nullptr || length == nullptr) throw ShimError("null argument");
        *buffer = nullptr;
        *length = 0;
        faiss::VectorIOWriter writer;
        faiss::write_index(s.index.get(), &writer);
        std::vector<uint8_t> out;
        put(out, kMagic);
        put(out, kVersion);
        put(out, static_cast<uint32_t>(s.spec.size()));
        out.insert(out.end(), s.spec.begin(), s.spec.end());
        put(out, static_cast<int64_t>(s.labels.size()));
        const auto* lp = reinterpret_cast<const uint8_t*>(s.labels.data());
        out.insert(out.end(), lp, lp + s.labels.size() * sizeof(int64_t));
        out.insert(out.end(), s.removed.begin(), s.removed.end());
        put(out, static_cast<int64_t>(writer.data.size()));
        out.insert(out.end(), writer.data.begin(), writer.data.end());
        auto* mem = static_cast<uint8_t*>(std::malloc(out.size()));
        if (mem == nullptr) throw std::bad_alloc();
        std::memcpy(mem, out.data(), out.size());
        *buffer = mem;
        *length = static_cast<int64_t>(out.size());
    });
}

SHIM_API void faiss_shim_free_buffer(uint8_t* buffer) { std::free(buffer); }

SHIM_API int faiss_shim_deserialize(const uint8_t* buffer, int64_t length, void** out) {
    return guarded([&] {
        if (out == nullptr || buffer == nullptr || length < 0) throw ShimError("null argument");
        *out = nullptr;
        Cursor c{buffer, static_cast<size_t>(length)};
        if (c.get<uint32_t>() != kMagic) throw ShimError("not a FAISS shim index");
        uint32_t version = c.get<uint32_t>();
        if (version != kVersion) throw ShimError("unsupported FAISS shim index version " + std::to_string(version));
        auto s = std::make_unique<ShimIndex>();
        uint32_t spec_length = c.get<uint32_t>();
        if (spec_length > c.left) throw ShimError("truncated FAISS index data");
        s->spec.assign(reinterpret_cast<const char*>(c.p), spec_length);
        c.p += spec_length;
        c.left -= spec_length;
        int64_t n = c.get<int64_t>();
        if (n < 0 || static_cast<uint64_t>(n) > c.left / (sizeof(int64_t) + 1)) throw ShimError("corrupt label table");
        s->labels.resize(n);
        c.take(s->labels.data(), n * sizeof(int64_t));
        s->removed.resize(n);
        c.take(s->removed.data(), n);
        int64_t blob = c.get<int64_t>();
        if (blob < 0 || static_cast<uint64_t>(blob) != c.left) throw ShimError("corrupt FAISS index length");
        faiss::VectorIOReader reader;
        reader.data.assign(c.p, c.p + blob);
        s->index.reset(faiss::read_index(&reader));
        if (s->index->ntotal != n) throw ShimError("label table does not match the FAISS index");
        for (int64_t i = 0; i < n; i++) {
            if (s->removed[i] > 1) throw ShimError("corrupt tombstone table");
            if (s->removed[i]) {
                s->tombstones++;
                continue;
            }
            if (!s->positions.emplace(s->labels[i], i).second) throw ShimError("duplicate live id in the label table");
        }
        *out = s.release();
    });
}

// Plain FAISS file I/O of the bare index (no id table), for interoperability and diagnostics.
SHIM_API int faiss_shim_write_index(void* handle, const char* path) {
    return guarded([&] {
        auto& s = checked(handle);
        if (path == nullptr) throw ShimError("null path");
        faiss::write_index(s.index.get(), path);
    });
}

SHIM_API int faiss_shim_read_index_dimension(const char* path, int* dimension) {
    return guarded([&] {
        if (path == nullptr || dimension == nullptr) throw ShimError("null argument");
        std::unique_ptr<faiss::Index> index(faiss::read_index(path));
        *dimension = static_cast<int>(index->d);
    });
}

SHIM_API void faiss_shim_set_simd(int enabled) { faiss_shim::simd_requested = enabled ? 1 : 0; }
SHIM_API int faiss_shim_simd_active() { return faiss_shim::simd_active() ? 1 : 0; }
