// Hugging Face tokenizers: a BPE tokenizer.json (with tokenizer_config.json and config.json beside it)
// read into a Vocab. The vocab keeps Hugging Face's rules (vocab.hf), so make_tokenizer gives the ids
// Hugging Face gives; vocab_to_gguf writes it as llama.cpp's convert_hf_to_gguf.py does.
#pragma once

#include <string>

#include "core/status.h"
#include "tokenizer/vocab.h"

namespace greenllm::tokenizer {

// Reads `dir`/tokenizer.json (required), `dir`/tokenizer_config.json and `dir`/config.json (optional:
// special tokens, add_bos/add_eos). Supported: the BPE model (merges as "a b" or ["a", "b"], with or
// without byte_fallback and <0x..> byte tokens, unk_token, fuse_unk, ignore_merges); normalizers
// Prepend, Replace (string patterns), NFC and Sequences of them; pre-tokenizers ByteLevel, Split with
// one of pretokenizer.h's regexes (behavior Isolated), Digits (\p{N}, as the Rust library; the
// JavaScript one takes ASCII digits only) and Sequences of them; decoders
// ByteLevel, Replace, ByteFallback, Fuse, Strip, Metaspace; TemplateProcessing post-processors (BOS /
// EOS). Anything else is an error that names the file and the JSON path.
//
// As llama.cpp's converter: a byte-level vocab becomes model "gpt2" with tokenizer.ggml.pre named
// after its regexes (llama-bpe, qwen2, gpt-2, starcoder, falcon, deepseek-coder, deepseek-llm); any
// other BPE becomes model "llama" (pre "default"; GGUF gets no merges, and llama.cpp merges by its
// SentencePiece rules: the best-scored adjacent pair whose text is a token). One difference: where
// the converter writes -1000 as every score (llama.cpp then merges leftmost-first, and for
// TinyStories-656K gives Hugging Face's ids on 18 of 728 TinyStories paragraphs), the scores here
// are -(rank + 1) of the merge that makes each token, which makes llama.cpp follow the merge order
// (728 of 728; TokenizerHfGguf.TinyStoriesInLlamaCpp). A character that a "llama" vocab has
// neither as a token nor as <0x..> byte tokens makes llama.cpp abort (an uncaught
// std::out_of_range in its byte fallback); greenllm gives <unk> for each of its bytes.
Result<Vocab> vocab_from_hf(const std::string& dir);

}  // namespace greenllm::tokenizer
