// Sequence state storage.
#include "model/kv_cache.h"

namespace greenllm::model {

SequenceState::SequenceState(const LlamaHParams& hp, int64_t n_ctx)
    : n_ctx_(n_ctx), kv_dim_(hp.kv_dim()),
      k_(size_t(hp.n_layer * n_ctx * hp.kv_dim())),
      v_(size_t(hp.n_layer * n_ctx * hp.kv_dim())) {}

}  // namespace greenllm::model
