// Binds the GGUF tensors to ModelWeights: TERN_T2 / TERN_T1 matrices as views into the mapping,
// foreign ternary types repacked once into owned memory, norms copied to float.
//
// Load time is memory traffic, not arithmetic: most of it goes to the kernel zeroing the
// fresh pages the repacked weights and the lm_head copy land in (bench/README.md, "Load
// time"). So the repacks and the copy run on a thread pool (one tensor or one 16 MiB chunk
// per task, each writing its own bytes: the result does not depend on the thread count),
// and the lm_head is not copied at all when the page cache already maps it in 2 MiB pages.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <set>
#include <string>

#include "arch/family.h"
#include "arch/rope.h"
#include "gguf/bitnet_names.h"
#include "model/dense.h"
#include "model/half.h"
#include "model/model_data.h"
#include "model/repack_cache.h"
#include "model/ternary_repack.h"
#include "runtime/huge_pages.h"
#include "runtime/thread_pool.h"
#include "runtime/timer.h"
#include "tern/error.h"

namespace tern::model {

namespace names = gguf::names;
using gguf::TensorType;

void OwnedBuffer::Free::operator()(uint8_t* p) const { std::free(p); }

OwnedBuffer allocate_buffer(uint64_t bytes) {
  OwnedBuffer b;
  const uint64_t rounded = (bytes + 63) / 64 * 64;
  b.data.reset(static_cast<uint8_t*>(std::aligned_alloc(64, rounded == 0 ? 64 : rounded)));
  if (!b.data) throw Error("out of memory allocating " + std::to_string(bytes) + " bytes");
  b.size = bytes;
  return b;
}

BitLinear& LayerWeights::linear(arch::LayerTensor role) {
  using R = arch::LayerTensor;
  switch (role) {
    case R::Q: return wq;
    case R::K: return wk;
    case R::V: return wv;
    case R::O: return wo;
    case R::Gate: return w_gate;
    case R::Up: return w_up;
    case R::Down: return w_down;
    default: throw Error("internal error: tensor role is not a BitLinear");
  }
}

std::vector<float>& LayerWeights::norm(arch::LayerTensor role) {
  using R = arch::LayerTensor;
  switch (role) {
    case R::AttnNorm: return attn_norm;
    case R::AttnSubNorm: return attn_sub_norm;
    case R::FfnNorm: return ffn_norm;
    case R::FfnSubNorm: return ffn_sub_norm;
    default: throw Error("internal error: tensor role is not a norm");
  }
}

namespace {

// Page size for the memory decode streams every token (repacked matrices, the lm_head copy).
// 2 MiB pages read faster than 4 KiB ones (TLB misses; figures in bench/README.md,
// "Read-bandwidth probe"), so they are used wherever the kernel offers THP;
// TERN_HUGE_PAGES=0 turns them off (and the head copy with them) for A/B measurements.
PageKind decode_pages() {
  static const PageKind kind = [] {
    const char* e = std::getenv("TERN_HUGE_PAGES");
    if (e != nullptr && std::string(e) == "0") return PageKind::Small;
    const std::string mode = thp_mode();
    return mode == "always" || mode == "madvise" ? PageKind::Huge : PageKind::Small;
  }();
  return kind;
}

// A buffer from allocate_pages (2 MiB-aligned, the page kind asked for), owned by ModelData.
OwnedBuffer allocate_page_buffer(uint64_t bytes, PageKind kind, const char* what) {
  OwnedBuffer b;
  b.data.reset(static_cast<uint8_t*>(allocate_pages(bytes, kind)));
  if (!b.data) throw Error("out of memory allocating " + std::to_string(bytes) + " bytes for " + what);
  b.size = bytes;
  return b;
}

// One foreign ternary tensor to convert: its TERN_T2 bytes go to `offset` in the repacked
// payload (one buffer for all, 64-byte aligned pieces: per-tensor buffers would each round
// up to a whole 2 MiB page, ~200 MB more on 2B4T), its weight_scale to out.
struct RepackJob {
  const gguf::TensorInfo* t;
  uint64_t offset;
  uint64_t bytes;
  BitLinear* out;
};

constexpr uint64_t round64(uint64_t n) { return (n + 63) / 64 * 64; }

// The repack cache is on unless ModelOptions or TERN_REPACK_CACHE=0 turns it off.
bool repack_cache_enabled(const ModelOptions& o) {
  const char* e = std::getenv("TERN_REPACK_CACHE");
  return o.repack_cache && !(e != nullptr && std::string(e) == "0");
}

// Calls task(i) for i in [0, n) on the pool. Each task catches its own error and the one of
// the lowest index is rethrown, so a bad file names the same tensor whatever the threads.
template <class F>
void run_all(ThreadPool& pool, size_t n, F&& task) {
  std::vector<std::exception_ptr> errors(n);
  pool.parallel_for(static_cast<int64_t>(n), [&](int64_t i) {
    try {
      task(static_cast<size_t>(i));
    } catch (...) {
      errors[static_cast<size_t>(i)] = std::current_exception();
    }
  });
  for (const std::exception_ptr& e : errors)
    if (e) std::rethrow_exception(e);
}

class Binder {
 public:
  explicit Binder(ModelData& d) : d_(d), f_(d.file) {}

  // Every tensor the model reads goes through here, so unused ones can be refused at the end.
  const gguf::TensorInfo& tensor(const std::string& name) {
    used_.insert(name);
    return f_.tensor(name);
  }

  // A tensor the graph does not read would be silently ignored: refuse the file instead.
  void check_all_used() const {
    for (const gguf::TensorInfo& t : f_.tensors()) {
      if (!used_.count(t.name)) {
        f_.fail("tensor '" + t.name + "'", "is not part of a '" + d_.hp.arch + "' model with " +
                                               std::to_string(d_.hp.n_layer) + " layers (tern would ignore it)");
      }
    }
  }

  void expect_dims(const gguf::TensorInfo& t, std::initializer_list<int64_t> dims) const {
    bool ok = t.dims.size() == dims.size();
    size_t i = 0;
    for (int64_t v : dims) ok = ok && i < t.dims.size() && static_cast<int64_t>(t.dims[i++]) == v;
    if (!ok) {
      std::string want = "[", got = "[";
      for (int64_t v : dims) want += (want.size() > 1 ? ", " : "") + std::to_string(v);
      for (uint64_t v : t.dims) got += (got.size() > 1 ? ", " : "") + std::to_string(v);
      f_.fail("tensor '" + t.name + "'", "shape " + got + "] does not match the hyper-parameters (expected " + want + "])");
    }
  }

  std::vector<float> vector(const std::string& name, int64_t n) {
    const gguf::TensorInfo& t = tensor(name);
    expect_dims(t, {n});
    std::vector<float> out(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
      switch (t.type) {
        case TensorType::F32: std::memcpy(&out[i], t.data + 4 * i, 4); break;
        case TensorType::F16: { uint16_t h; std::memcpy(&h, t.data + 2 * i, 2); out[i] = f16_to_f32(h); break; }
        case TensorType::BF16: { uint16_t h; std::memcpy(&h, t.data + 2 * i, 2); out[i] = bf16_to_f32(h); break; }
        default:
          f_.fail("tensor '" + name + "'", std::string("type ") + gguf::type_name(t.type) +
                                               " is not supported for a norm weight (F32, F16 or BF16)");
      }
    }
    return out;
  }

  // Binds `name` into b (b must stay where it is until repack_all has run).
  void bitlinear(BitLinear& b, const std::string& name, int64_t out_features, int64_t in_features) {
    const gguf::TensorInfo& t = tensor(name);
    expect_dims(t, {in_features, out_features});
    b = BitLinear{};
    b.w.rows = out_features;
    b.w.k = in_features;
    // tern's own types run in place; foreign ones are repacked to TERN_T2.
    b.w.format = t.type == TensorType::TERN_T1 ? kernels::TernaryFormat::T1 : kernels::TernaryFormat::T2;
    const uint64_t code_bytes =
        static_cast<uint64_t>(out_features) * static_cast<uint64_t>(kernels::ternary_row_bytes(b.w.format, in_features));
    if (d_.report.ternary_type.empty()) d_.report.ternary_type = gguf::type_name(t.type);
    if (t.type == TensorType::TERN_T2 || t.type == TensorType::TERN_T1) {
      if (t.nbytes < code_bytes + 4) {
        f_.fail("tensor '" + name + "'", std::string(gguf::type_name(t.type)) + " data is too short for its scale trailer");
      }
      b.w.data = t.data;  // zero copy
      in_place_.first = in_place_.first == nullptr ? t.data : std::min(in_place_.first, t.data);
      in_place_.second = std::max(in_place_.second, t.data + code_bytes);
      std::memcpy(&b.weight_scale, t.data + code_bytes, 4);
      if (!std::isfinite(b.weight_scale) || b.weight_scale <= 0) {
        f_.fail("tensor '" + name + "'", "weight_scale " + std::to_string(b.weight_scale) + " is not a finite positive number");
      }
    } else if (is_foreign_ternary(t.type)) {
      // Placed by repack_all, after binding: code_bytes is bounded by the tensor's checked
      // size in the file, so the payload total is bounded by the file size.
      jobs_.push_back(RepackJob{&t, payload_bytes_, code_bytes, &b});
      payload_bytes_ += round64(code_bytes);
      d_.report.zero_copy = false;
      d_.report.repacked_tensors += 1;
      d_.report.repacked_bytes += code_bytes;
    } else {
      f_.fail("tensor '" + name + "'", std::string("type ") + gguf::type_name(t.type) +
                                           " is not a ternary type tern can run (TERN_T2, TERN_T1, I2_S, TQ2_0, TQ1_0, IQ2_BN)");
    }
    // llama.cpp "bitnet" files may carry a separate output scale: blk.N.<name>.scale.
    std::string scale_name = name;
    const std::string suffix = ".weight";
    if (scale_name.size() > suffix.size()) scale_name.replace(scale_name.size() - suffix.size(), suffix.size(), ".scale");
    if (const gguf::TensorInfo* s = f_.find_tensor(scale_name)) {
      used_.insert(scale_name);
      if (s->type != TensorType::F32 || s->n_elements() != 1) f_.fail("tensor '" + scale_name + "'", "expected one F32 value");
      std::memcpy(&b.post_scale, s->data, 4);
      b.has_post_scale = true;
    }
    d_.bytes_per_token += code_bytes;
  }

  // Gives every foreign tensor bound so far its TERN_T2 bytes: from a valid repack cache
  // (zero copy), else converted in parallel over the pool (and the cache written).
  void repack_all(ThreadPool& pool, const ModelOptions& options) {
    if (jobs_.empty()) return;
    LoadReport& r = d_.report;
    std::vector<CachedTensor> layout;
    for (const RepackJob& j : jobs_) layout.push_back(CachedTensor{j.offset, j.bytes, 0});
    std::optional<std::string> cache_path;
    std::optional<SourceStamp> stamp;
    if (payload_bytes_ < options.repack_cache_min_bytes) {
      r.repack_cache = "off (repacked tensors under " + std::to_string(options.repack_cache_min_bytes >> 20) + " MiB)";
    } else if (repack_cache_enabled(options)) {
      cache_path = repack_cache_path(d_.path);
      stamp = source_stamp(d_.path);
      if (!cache_path) r.repack_cache = "off (no cache folder: set TERN_CACHE_DIR, XDG_CACHE_HOME or HOME)";
      if (!stamp) r.repack_cache = "off (cannot stat the model)";
    } else {
      r.repack_cache = "off";
    }
    if (cache_path && stamp) {
      r.repack_cache_path = *cache_path;
      Stopwatch sw;
      std::string why;
      std::optional<RepackCacheHit> hit = open_repack_cache(*cache_path, *stamp, layout, payload_bytes_, pool, why);
      r.repack_cache_seconds = sw.seconds();
      if (hit) {
        for (size_t i = 0; i < jobs_.size(); ++i) {
          jobs_[i].out->w.data = hit->payload + jobs_[i].offset;
          jobs_[i].out->weight_scale = hit->scales[i];
        }
        d_.repack_cache = std::move(hit->map);
        r.repack_cache = "hit";
        r.ternary_in_place_huge_bytes = hit->huge.huge_bytes;
        r.ternary_reread = hit->huge.reread;
        jobs_.clear();
        return;
      }
      r.repack_cache = "miss (" + why + ")";
    }
    Stopwatch sw;
    OwnedBuffer buf = allocate_page_buffer(payload_bytes_, decode_pages(), "repacked weights");
    uint8_t* base = buf.data.get();
    d_.owned.push_back(std::move(buf));
    run_all(pool, jobs_.size(), [&](size_t i) {
      const RepackJob& j = jobs_[i];
      j.out->weight_scale = repack_to_t2(*j.t, base + j.offset, d_.path);
      j.out->w.data = base + j.offset;
      std::memset(base + j.offset + j.bytes, 0, round64(j.bytes) - j.bytes);  // the cache file holds no stray bytes
      // The file's copy is never read again: without this its pages stay resident next to
      // the repacked copy (~0.5 GB twice for a 2B4T I2_S file).
      f_.release_pages(*j.t);
    });
    r.repack_seconds = sw.seconds();
    if (cache_path && stamp) {
      Stopwatch wsw;
      for (size_t i = 0; i < jobs_.size(); ++i) layout[i].weight_scale = jobs_[i].out->weight_scale;
      const std::string err = write_repack_cache(*cache_path, *stamp, layout, {base, payload_bytes_}, pool);
      r.repack_cache += err.empty() ? ", written" : ", not written: " + err;
      r.repack_cache_seconds += wsw.seconds();
    }
    jobs_.clear();
  }

  DenseMatrix dense(const std::string& name, int64_t rows, int64_t cols) {
    const gguf::TensorInfo& t = tensor(name);
    expect_dims(t, {cols, rows});
    if (!is_dense_type(t.type)) {
      f_.fail("tensor '" + name + "'", std::string("type ") + gguf::type_name(t.type) + " is not supported (" +
                                           dense_type_names() + ")");
    }
    const uint32_t block = gguf::type_traits(t.type)->block_elems;
    if (cols % block != 0) f_.fail("tensor '" + name + "'", "row length must be a multiple of " + std::to_string(block));
    DenseMatrix m;
    m.type = t.type;
    m.data = t.data;
    m.rows = rows;
    m.cols = cols;
    m.row_bytes = dense_row_bytes(t.type, cols);
    if (m.row_bytes * static_cast<uint64_t>(rows) > t.nbytes) f_.fail("tensor '" + name + "'", "data is too short");
    return m;
  }

  // [first, end) of the file holding every ternary matrix used in place (tern's own types);
  // {nullptr, nullptr} when there is none.
  std::pair<const uint8_t*, const uint8_t*> in_place_span() const { return in_place_; }

 private:
  ModelData& d_;
  const gguf::File& f_;
  std::set<std::string> used_;
  std::vector<RepackJob> jobs_;
  uint64_t payload_bytes_ = 0;
  std::pair<const uint8_t*, const uint8_t*> in_place_{nullptr, nullptr};
};

// Ternary matrices used in place are, with the lm_head, all decode reads per token (on 2B4T
// TERN_T2: 521 MB of 1178 MB), so they get what place_head gives the head: the file mapping
// in 2 MiB page-cache pages (MappedFile::map_huge; a re-read once when the cache holds small
// folios). In 4 KiB pages a read stream runs at about two thirds of the 2 MiB-page rate
// (bench/README.md, "Where decode's time goes").
void place_in_place_ternary(ModelData& d, std::pair<const uint8_t*, const uint8_t*> span) {
  if (span.first == nullptr || span.second <= span.first) return;
  Stopwatch sw;
  const MappedFile::HugeMapping m = d.file.map_huge(span.first, static_cast<uint64_t>(span.second - span.first));
  d.report.ternary_map_seconds = sw.seconds();
  d.report.ternary_in_place_huge_bytes = m.huge_bytes;
  d.report.ternary_reread = m.reread;
}

// TERN_HEAD_COPY=1 copies the lm_head into anonymous 2 MiB pages even when the file
// mapping already has it in 2 MiB pages (the behaviour before that check, for A/B runs).
bool head_copy_forced() {
  const char* e = std::getenv("TERN_HEAD_COPY");
  return e != nullptr && std::string(e) == "1";
}

// The lm_head (the tied embedding on 2B4T: 656 MB, more than half of what a token reads)
// must be read from 2 MiB pages for decode to reach the bandwidth of bench/README.md's
// probe. Linux 6.x page caches hold large files in 2 MiB folios (ext4 since 6.16, xfs,
// tmpfs) and map them with 2 MiB entries into a 2 MiB-aligned mapping: then the head is
// used in place, costing only the page-table set-up (and once, when the cache holds the
// head in small folios, a re-read: MappedFile::map_huge). Otherwise (older kernels, a file just
// written in small folios) it is copied once into 2 MiB anonymous pages, in parallel, and
// the file's pages are released chunk by chunk as they are copied, so the resident set
// never holds both.
void place_head(ModelData& d, ThreadPool& pool) {
  DenseMatrix& h = d.w.lm_head;
  const uint64_t bytes = h.row_bytes * static_cast<uint64_t>(h.rows);
  if (bytes == 0) return;
  if (!head_copy_forced()) {
    Stopwatch map_sw;
    const MappedFile::HugeMapping m = d.file.map_huge(h.data, bytes);
    d.report.head_map_seconds = map_sw.seconds();
    d.report.head_reread = m.reread;
    // A few 4 KiB stragglers (the file's last partial folio, a folio the cache split)
    // cost decode little; a head mostly in 4 KiB pages is worth the copy.
    if (m.range_bytes > 0 && m.huge_bytes * 10 >= m.range_bytes * 9) {
      d.report.head_in_place_huge_bytes = m.huge_bytes;
      return;
    }
  }
  Stopwatch sw;
  OwnedBuffer b = allocate_page_buffer(bytes, PageKind::Huge, "the lm_head");
  constexpr uint64_t kChunk = uint64_t{16} << 20;
  run_all(pool, static_cast<size_t>((bytes + kChunk - 1) / kChunk), [&](size_t i) {
    const uint64_t o = i * kChunk;
    const uint64_t n = std::min(kChunk, bytes - o);
    std::memcpy(b.data.get() + o, h.data + o, n);
    d.file.release_pages(h.data + o, n);
  });
  const bool tied = d.w.token_embd.data == h.data;
  h.data = b.data.get();
  if (tied) d.w.token_embd.data = h.data;
  d.report.head_copied_bytes = bytes;
  d.report.head_copy_seconds = sw.seconds();
  d.owned.push_back(std::move(b));
}

}  // namespace

void bind_weights(ModelData& d, const ModelOptions& options) {
  const ModelHParams& hp = d.hp;
  Binder b(d);
  const int64_t q_dim = hp.n_head * hp.head_dim;
  const int64_t kv_dim = hp.n_head_kv * hp.head_dim;

  d.w.token_embd = b.dense(names::kTokenEmbd, hp.n_vocab, hp.n_embd);
  d.report.embedding_type = gguf::type_name(d.w.token_embd.type);
  if (d.file.find_tensor(names::kOutput) != nullptr) {
    d.w.lm_head = b.dense(names::kOutput, hp.n_vocab, hp.n_embd);
    d.report.lm_head = names::kOutput;
  } else {
    d.w.lm_head = d.w.token_embd;
    d.report.lm_head = std::string(names::kTokenEmbd) + " (tied)";
  }
  d.report.lm_head_type = gguf::type_name(d.w.lm_head.type);
  d.bytes_per_token += d.w.lm_head.row_bytes * static_cast<uint64_t>(d.w.lm_head.rows);
  d.w.output_norm = b.vector(names::kOutputNorm, hp.n_embd);

  // RoPE inverse frequencies: the hyper-parameters' (tern's llama3 keys included), or
  // divided by llama.cpp's rope_freqs.weight when a peer's file carries that instead.
  d.rope_inv_freq = arch::rope_inv_freq(hp.head_dim, static_cast<double>(hp.rope_theta), hp.rope_llama3);
  if (d.file.find_tensor(names::kRopeFreqs) != nullptr) {
    const std::vector<float> divisors = b.vector(names::kRopeFreqs, hp.head_dim / 2);
    for (size_t j = 0; j < divisors.size(); ++j) {
      if (!(divisors[j] > 0 && std::isfinite(divisors[j]))) {
        d.file.fail("tensor '" + std::string(names::kRopeFreqs) + "'", "element " + std::to_string(j) + " is not a positive number");
      }
      if (hp.rope_freqs_tensor) d.rope_inv_freq[j] /= divisors[j];  // read_hparams decided which applies
    }
  }

  // Each layer's tensors from the arch's list (src/arch/family.cpp), into their fields.
  const arch::LayerDims dims{hp.n_embd, q_dim, kv_dim, hp.n_ff};
  const std::vector<arch::LayerTensorSpec> specs = arch::layer_tensors(hp.sub_norms);
  d.w.layers.resize(static_cast<size_t>(hp.n_layer));
  for (int i = 0; i < hp.n_layer; ++i) {
    LayerWeights& L = d.w.layers[static_cast<size_t>(i)];
    for (const arch::LayerTensorSpec& s : specs) {
      const std::string name = names::blk(i, s.gguf);
      if (s.ternary) {
        b.bitlinear(L.linear(s.role), name, dims(s.out), dims(s.in));
      } else {
        L.norm(s.role) = b.vector(name, dims(s.out));
      }
    }
  }
  b.check_all_used();
  // A load-time pool, gone when loading ends: sessions make their own (their thread count
  // is not known here), and a 2-thread pool starts in microseconds.
  ThreadPool pool(options.load_threads);
  d.report.load_threads = pool.size();
  b.repack_all(pool, options);
  if (decode_pages() == PageKind::Huge) {
    place_in_place_ternary(d, b.in_place_span());
    place_head(d, pool);
  }
  // What the kernel actually gave (it may fall back to 4 KiB pages), for `tern info`.
  d.report.thp_mode = thp_mode();
  for (const OwnedBuffer& o : d.owned) {
    d.report.huge_page_bytes += huge_page_bytes(o.data.get(), o.size).value_or(0);
    d.report.anon_weight_bytes += o.size;
  }
}

}  // namespace tern::model
