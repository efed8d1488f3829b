// Llama forward pass. Per layer:  xn = rmsnorm(x) * attn_norm;  q,k,v = xn @ Wq,Wk,Wv (+ biases);
// RoPE on q,k;  att = softmax(q k^T / sqrt(head_dim), causal) v;  x += att @ Wo;
// xn = rmsnorm(x) * ffn_norm;  x += (silu(xn @ Wgate) * (xn @ Wup)) @ Wdown.
// Then logits = rmsnorm(x) * output_norm @ Woutput.
#include "model/llama_forward.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/thread_pool.h"
#include "quant/reference.h"

namespace greenllm::model {
namespace {

// y (n) = x (n) / sqrt(mean(x^2) + eps) * w (n); the sum of squares in double as ggml does.
void rmsnorm(const float* x, const float* w, float* y, int64_t n, float eps) {
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += double(x[i]) * double(x[i]);
  const float scale = 1.0f / std::sqrt(float(sum / double(n)) + eps);
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] * scale * w[i];
}

void add_bias(float* y, const Weight& b, int64_t n_tok, int64_t dim) {
  if (!b.present()) return;
  const float* bias = static_cast<const float*>(b.data);
  for (int64_t t = 0; t < n_tok; ++t)
    for (int64_t i = 0; i < dim; ++i) y[t * dim + i] += bias[i];
}

}  // namespace

LlamaForward::LlamaForward(const LlamaModel& model, ThreadPool& pool, int64_t max_batch,
                           const kernels::KernelTable& kernels)
    : model_(model), pool_(pool), kernels_(kernels), max_batch_(std::clamp<int64_t>(max_batch, 1, kMaxBatchTokens)) {
  const auto& h = model.hparams;
  const auto n = size_t(max_batch_);
  x_.resize(n * size_t(h.n_embd));
  xn_.resize(n * size_t(std::max(h.n_embd, h.q_dim())));
  q_.resize(n * size_t(h.q_dim()));
  att_.resize(n * size_t(h.q_dim()));
  k_.resize(n * size_t(h.kv_dim()));
  v_.resize(n * size_t(h.kv_dim()));
  gate_.resize(n * size_t(h.n_ff));
  up_.resize(n * size_t(h.n_ff));
  cos_.resize(n * size_t(h.n_rot / 2));
  sin_.resize(n * size_t(h.n_rot / 2));
}

Status LlamaForward::forward(SequenceState& seq, std::span<const int32_t> tokens, std::vector<float>& logits,
                             bool all_logits) {
  const auto& h = model_.hparams;
  if (tokens.empty()) return Status::error("forward: no tokens");
  for (size_t i = 0; i < tokens.size(); ++i)
    if (tokens[i] < 0 || tokens[i] >= h.n_vocab)
      return Status::error(fmt::format("token id {} at position {} is outside the vocabulary (0..{})", tokens[i],
                                       i, h.n_vocab - 1));
  if (seq.n_past() + int64_t(tokens.size()) > seq.n_ctx())
    return Status::error(fmt::format("context full: {} positions used + {} new > context size {}", seq.n_past(),
                                     tokens.size(), seq.n_ctx()));
  if (int64_t(scores_.size()) < int64_t(pool_.n_threads()) * seq.n_ctx())
    scores_.resize(size_t(pool_.n_threads()) * size_t(seq.n_ctx()));
  logits.resize((all_logits ? tokens.size() : 1) * size_t(h.n_vocab));
  for (size_t start = 0; start < tokens.size(); start += size_t(max_batch_)) {
    const size_t n = std::min(tokens.size() - start, size_t(max_batch_));
    const bool last_chunk = start + n == tokens.size();
    float* out = all_logits ? logits.data() + start * size_t(h.n_vocab) : (last_chunk ? logits.data() : nullptr);
    forward_chunk(seq, tokens.subspan(start, n), out, all_logits);
  }
  return Status::ok();
}

void LlamaForward::matmul(const Weight& w, const float* x, int64_t n_tok, float* y) {
  if (kernels::matmul_for(kernels_, w.type) != nullptr) {
    kernels::MatmulArgs args{w.data, w.n_in, w.n_out, x, w.n_in, y, w.n_out, n_tok};
    kernels::matmul(kernels_, w.type, args, pool_);
    return;
  }
  // Quantized weights until their own kernels exist (#4): each thread dequantizes one row at a time
  // with the reference dequantizer and takes its dot product with every token. One dot per output,
  // in a fixed order, so decode still equals prefill bitwise.
  const quant::QuantTraits* qt = quant::quant_traits(w.type);  // the loader admitted only these
  const uint64_t row_bytes = uint64_t(w.n_in) / qt->block_elems * qt->block_bytes;
  const size_t need = size_t(pool_.n_threads()) * size_t(w.n_in);
  if (dequant_rows_.size() < need) dequant_rows_.resize(need);
  pool_.run([&](int ith, int nth) {
    int64_t r0, r1;
    ThreadPool::split(w.n_out, ith, nth, 16, &r0, &r1);
    float* row = dequant_rows_.data() + size_t(ith) * size_t(w.n_in);
    for (int64_t r = r0; r < r1; ++r) {
      qt->dequantize_row(static_cast<const uint8_t*>(w.data) + uint64_t(r) * row_bytes, row, w.n_in);
      for (int64_t t = 0; t < n_tok; ++t) y[t * w.n_out + r] = kernels_.dot_f32(row, x + t * w.n_in, w.n_in);
    }
  });
}

// Rotates the first n_rot dimensions of each head of x (n_tok rows of n_heads * head_dim, stride
// row_stride) by the angles in cos_/sin_ (n_tok, n_rot/2).
void LlamaForward::rope(float* x, int64_t n_tok, int64_t n_heads, int64_t row_stride) const {
  const auto& h = model_.hparams;
  const int64_t half = h.n_rot / 2;
  for (int64_t t = 0; t < n_tok; ++t) {
    const float* c = cos_.data() + t * half;
    const float* s = sin_.data() + t * half;
    for (int64_t hd = 0; hd < n_heads; ++hd) {
      float* v = x + t * row_stride + hd * h.head_dim;
      for (int64_t i = 0; i < half; ++i) {
        const int64_t i0 = h.rope_type == RopeType::NORM ? 2 * i : i;
        const int64_t i1 = h.rope_type == RopeType::NORM ? 2 * i + 1 : i + half;
        const float a = v[i0], b = v[i1];
        v[i0] = a * c[i] - b * s[i];
        v[i1] = a * s[i] + b * c[i];
      }
    }
  }
}

// Causal attention of the n_tok new queries over all cached positions; (token, head) pairs are
// spread over the threads. Reads q_, the layer's cache; writes att_ (n_tok, q_dim).
void LlamaForward::attention(SequenceState& seq, int64_t layer, int64_t n_tok) {
  const auto& h = model_.hparams;
  const int64_t hd = h.head_dim, kv_dim = h.kv_dim(), q_dim = h.q_dim();
  const int64_t group = h.n_head / h.n_head_kv;
  const int64_t pos0 = seq.n_past();
  const float* kc = seq.k(layer);
  const float* vc = seq.v(layer);
  const float scale = 1.0f / std::sqrt(float(hd));
  const int64_t n_ctx = seq.n_ctx();
  auto job = [&](int ith, int nth) {
    int64_t b, e;
    ThreadPool::split(n_tok * h.n_head, ith, nth, 1, &b, &e);
    float* scores = scores_.data() + int64_t(ith) * n_ctx;
    for (int64_t pair = b; pair < e; ++pair) {
      const int64_t t = pair / h.n_head, head = pair % h.n_head, g = head / group;
      const float* q = q_.data() + t * q_dim + head * hd;
      const int64_t n_keys = pos0 + t + 1;
      float max_score = -INFINITY;
      for (int64_t j = 0; j < n_keys; ++j) {
        scores[j] = kernels_.dot_f32(q, kc + j * kv_dim + g * hd, hd) * scale;
        max_score = std::max(max_score, scores[j]);
      }
      double sum = 0.0;
      for (int64_t j = 0; j < n_keys; ++j) {
        scores[j] = std::exp(scores[j] - max_score);
        sum += scores[j];
      }
      const float inv = float(1.0 / sum);
      float* out = att_.data() + t * q_dim + head * hd;
      std::memset(out, 0, size_t(hd) * sizeof(float));
      for (int64_t j = 0; j < n_keys; ++j) kernels_.axpy_f32(scores[j] * inv, vc + j * kv_dim + g * hd, out, hd);
    }
  };
  // Below a few microseconds of work, waking the other threads costs more than it saves.
  const int64_t work = n_tok * h.n_head * (pos0 + n_tok) * hd;
  if (work < (int64_t(1) << 16)) job(0, 1);
  else pool_.run(job);
}

void LlamaForward::forward_chunk(SequenceState& seq, std::span<const int32_t> tokens, float* logits,
                                 bool all_logits) {
  const auto& h = model_.hparams;
  const int64_t n = int64_t(tokens.size());
  const int64_t D = h.n_embd, q_dim = h.q_dim(), kv_dim = h.kv_dim(), F = h.n_ff;
  const int64_t pos0 = seq.n_past();

  // Token embeddings -> x (n, D).
  const auto& emb = model_.tok_embd;
  const uint64_t emb_row_bytes = *ggml_row_bytes(emb.type, uint64_t(D));
  for (int64_t t = 0; t < n; ++t) {
    const auto* row = static_cast<const uint8_t*>(emb.data) + uint64_t(tokens[size_t(t)]) * emb_row_bytes;
    float* dst = x_.data() + t * D;
    switch (emb.type) {
      case GgmlType::F32: std::memcpy(dst, row, size_t(D) * sizeof(float)); break;
      case GgmlType::F16: kernels_.row_to_f32_f16(reinterpret_cast<const uint16_t*>(row), dst, D); break;
      case GgmlType::BF16: kernels_.row_to_f32_bf16(reinterpret_cast<const uint16_t*>(row), dst, D); break;
      default: quant::quant_traits(emb.type)->dequantize_row(row, dst, D); break;  // admitted by the loader
    }
  }

  // RoPE angles per new position: theta_i = pos * freq_scale * base^(-2i/n_rot) / freq_factor_i.
  const int64_t half = h.n_rot / 2;
  const float* freq_factors = model_.rope_freqs.present() ? static_cast<const float*>(model_.rope_freqs.data) : nullptr;
  for (int64_t t = 0; t < n; ++t) {
    const double pos = double(pos0 + t) * double(h.rope_freq_scale);
    for (int64_t i = 0; i < half; ++i) {
      double theta = pos * std::pow(double(h.rope_freq_base), -2.0 * double(i) / double(h.n_rot));
      if (freq_factors) theta /= double(freq_factors[i]);
      cos_[size_t(t * half + i)] = float(std::cos(theta));
      sin_[size_t(t * half + i)] = float(std::sin(theta));
    }
  }

  for (int64_t il = 0; il < h.n_layer; ++il) {
    const LlamaLayer& L = model_.layers[size_t(il)];
    for (int64_t t = 0; t < n; ++t)
      rmsnorm(x_.data() + t * D, static_cast<const float*>(L.attn_norm.data), xn_.data() + t * D, D, h.rms_eps);
    matmul(L.wq, xn_.data(), n, q_.data());
    matmul(L.wk, xn_.data(), n, k_.data());
    matmul(L.wv, xn_.data(), n, v_.data());
    add_bias(q_.data(), L.bq, n, q_dim);
    add_bias(k_.data(), L.bk, n, kv_dim);
    add_bias(v_.data(), L.bv, n, kv_dim);
    rope(q_.data(), n, h.n_head, q_dim);
    rope(k_.data(), n, h.n_head_kv, kv_dim);
    std::memcpy(seq.k(il) + pos0 * kv_dim, k_.data(), size_t(n * kv_dim) * sizeof(float));
    std::memcpy(seq.v(il) + pos0 * kv_dim, v_.data(), size_t(n * kv_dim) * sizeof(float));
    attention(seq, il, n);
    matmul(L.wo, att_.data(), n, xn_.data());
    for (int64_t i = 0; i < n * D; ++i) x_[size_t(i)] += xn_[size_t(i)];

    for (int64_t t = 0; t < n; ++t)
      rmsnorm(x_.data() + t * D, static_cast<const float*>(L.ffn_norm.data), xn_.data() + t * D, D, h.rms_eps);
    matmul(L.w_gate, xn_.data(), n, gate_.data());
    matmul(L.w_up, xn_.data(), n, up_.data());
    for (int64_t i = 0; i < n * F; ++i) {
      const float g = gate_[size_t(i)];
      gate_[size_t(i)] = g / (1.0f + std::exp(-g)) * up_[size_t(i)];
    }
    matmul(L.w_down, gate_.data(), n, xn_.data());
    for (int64_t i = 0; i < n * D; ++i) x_[size_t(i)] += xn_[size_t(i)];
  }
  seq.set_n_past(pos0 + n);

  if (logits == nullptr) return;
  // Only the rows whose logits are wanted go through the output projection.
  const int64_t first = all_logits ? 0 : n - 1;
  const int64_t n_out = n - first;
  for (int64_t t = first; t < n; ++t)
    rmsnorm(x_.data() + t * D, static_cast<const float*>(model_.output_norm.data), xn_.data() + (t - first) * D, D,
            h.rms_eps);
  matmul(model_.output, xn_.data(), n_out, logits);
}

}  // namespace greenllm::model
