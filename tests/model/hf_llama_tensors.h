// Test helper: the tensor names and shapes of a Hugging Face Llama-family checkpoint (Llama, Mistral,
// Qwen2) with the spread of their random values, in one fixed order, for the tiny checkpoints the
// tests write.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace greenllm::test {

struct HfLlamaDims {
  int n_vocab = 0, n_embd = 0, n_layer = 0;
  int q_dim = 0, kv_dim = 0;  // n_head * head_dim, n_kv_head * head_dim
  int n_ff = 0;
  bool tied = false;    // no lm_head.weight: the output reuses the embeddings
  bool biases = false;  // q/k/v projection biases (Qwen2; Llama with attention_bias)
};

// Spread of the random values of each kind of tensor: N(0, 1) times the scale; norm weights are
// centred on 1, everything else on 0.
struct HfRandomScales {
  double embedding = 1.0, norm = 0.1, output = 0.3, projection = 0.3, bias = 0.3;
};

// Calls add(name, shape, scale, offset) for every tensor, shapes in Hugging Face (row-major) order:
// the embeddings, the final norm, lm_head (unless tied), then each layer's norms, projections and
// biases. Callers draw the values in this order.
template <class Add>
void for_each_hf_llama_tensor(const HfLlamaDims& d, const HfRandomScales& s, Add&& add) {
  using Shape = std::vector<int64_t>;
  add("model.embed_tokens.weight", Shape{d.n_vocab, d.n_embd}, s.embedding, 0.0);
  add("model.norm.weight", Shape{d.n_embd}, s.norm, 1.0);
  if (!d.tied) add("lm_head.weight", Shape{d.n_vocab, d.n_embd}, s.output, 0.0);
  for (int l = 0; l < d.n_layer; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    add(p + "input_layernorm.weight", Shape{d.n_embd}, s.norm, 1.0);
    add(p + "self_attn.q_proj.weight", Shape{d.q_dim, d.n_embd}, s.projection, 0.0);
    add(p + "self_attn.k_proj.weight", Shape{d.kv_dim, d.n_embd}, s.projection, 0.0);
    add(p + "self_attn.v_proj.weight", Shape{d.kv_dim, d.n_embd}, s.projection, 0.0);
    if (d.biases) {
      add(p + "self_attn.q_proj.bias", Shape{d.q_dim}, s.bias, 0.0);
      add(p + "self_attn.k_proj.bias", Shape{d.kv_dim}, s.bias, 0.0);
      add(p + "self_attn.v_proj.bias", Shape{d.kv_dim}, s.bias, 0.0);
    }
    add(p + "self_attn.o_proj.weight", Shape{d.n_embd, d.q_dim}, s.projection, 0.0);
    add(p + "post_attention_layernorm.weight", Shape{d.n_embd}, s.norm, 1.0);
    add(p + "mlp.gate_proj.weight", Shape{d.n_ff, d.n_embd}, s.projection, 0.0);
    add(p + "mlp.up_proj.weight", Shape{d.n_ff, d.n_embd}, s.projection, 0.0);
    add(p + "mlp.down_proj.weight", Shape{d.n_embd, d.n_ff}, s.projection, 0.0);
  }
}

}  // namespace greenllm::test
