// The safetensors reader on files the test writes (F32/F16/BF16, metadata aliases, shards), on the
// real tinystories-656k checkpoint, and on hostile headers, each refused with one line naming the file.
#include "formats/safetensors.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "formats/safetensors_writer.h"
#include "test_util.h"

namespace greenllm::formats {
namespace {

using test::fresh_dir;
using test::st_tensor;

std::vector<float> ramp(size_t n, float scale = 0.25f) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = scale * (float(i) - float(n) / 2);
  return v;
}

TEST(Safetensors, ReadsF32F16Bf16WithShapesAndMetadata) {
  const std::string path = test::temp_path("types.safetensors");
  // Values exactly representable in all three types.
  const auto v = ramp(6);
  test::st_write(path,
                 {st_tensor("a", "F32", {2, 3}, v), st_tensor("b", "F16", {3, 2}, v), st_tensor("c", "BF16", {6}, v)},
                 {{"format", "pt"}, {"note", "hello"}});
  auto f = SafetensorsFile::open(path);
  ASSERT_TRUE(f.is_ok()) << f.message();
  const SafetensorsFile& file = **f;
  ASSERT_EQ(file.tensors().size(), 3u);
  EXPECT_EQ(file.metadata().at("note"), "hello");
  EXPECT_TRUE(file.aliases().empty());
  EXPECT_EQ(file.data_offset() % 8, 0u);
  const auto* a = file.find("a");
  const auto* b = file.find("b");
  const auto* c = file.find("c");
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(a->shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(b->shape, (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(c->shape, (std::vector<int64_t>{6}));
  EXPECT_EQ(a->dtype, SafetensorsDtype::F32);
  EXPECT_EQ(b->dtype, SafetensorsDtype::F16);
  EXPECT_EQ(c->dtype, SafetensorsDtype::BF16);
  EXPECT_EQ(a->size_bytes, 24u);
  EXPECT_EQ(b->size_bytes, 12u);
  EXPECT_EQ(b->offset_bytes, a->offset_bytes + 24);
  for (const auto* t : {a, b, c}) {
    auto values = safetensors_to_f32(*t);
    ASSERT_TRUE(values.is_ok()) << values.message();
    EXPECT_EQ(*values, v) << t->name;
    EXPECT_EQ(*t->file_path, path);
  }
  EXPECT_EQ(file.find("missing"), nullptr);
}

TEST(Safetensors, RoundsLikeTheWriterForF16AndBf16) {
  const std::string path = test::temp_path("rounding.safetensors");
  const std::vector<float> v = {0.1f, -3.14159f, 65504.0f, 1e-7f, 1e30f};
  test::st_write(path, {st_tensor("h", "F16", {5}, v), st_tensor("b", "BF16", {5}, v)});
  auto f = SafetensorsFile::open(path);
  ASSERT_TRUE(f.is_ok()) << f.message();
  auto h = safetensors_to_f32(*(*f)->find("h"));
  auto b = safetensors_to_f32(*(*f)->find("b"));
  ASSERT_TRUE(h.is_ok() && b.is_ok());
  for (size_t i = 0; i < v.size(); ++i) {
    EXPECT_EQ((*h)[i], f16_to_f32(f32_to_f16(v[i])));
    EXPECT_EQ((*b)[i], bf16_to_f32(f32_to_bf16(v[i])));
  }
  EXPECT_TRUE(std::isinf((*h)[4]));
}

TEST(Safetensors, OtherDtypesAreListedAndRefusedAtUse) {
  const std::string path = test::temp_path("ints.safetensors");
  test::StTensor ids{"position_ids", "I64", {1, 4}, std::string(32, '\0')};
  test::StTensor flags{"mask", "BOOL", {3}, std::string(3, '\1')};
  test::st_write(path, {ids, flags, st_tensor("w", "F32", {2}, {1, 2})});
  auto f = SafetensorsFile::open(path);
  ASSERT_TRUE(f.is_ok()) << f.message();
  const auto* t = (*f)->find("position_ids");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->dtype, SafetensorsDtype::I64);
  EXPECT_EQ(t->size_bytes, 32u);
  auto values = safetensors_to_f32(*t);
  ASSERT_FALSE(values.is_ok());
  EXPECT_NE(values.message().find(path), std::string::npos) << values.message();
  EXPECT_NE(values.message().find("position_ids"), std::string::npos) << values.message();
  EXPECT_NE(values.message().find("I64"), std::string::npos) << values.message();
  EXPECT_EQ(safetensors_dtype_bytes(SafetensorsDtype::F8_E4M3), 1u);
  EXPECT_EQ(safetensors_dtype_name(SafetensorsDtype::BF16), "BF16");
  EXPECT_EQ(safetensors_dtype_from_name("F64"), SafetensorsDtype::F64);
  EXPECT_FALSE(safetensors_dtype_from_name("f32").has_value());
}

TEST(Safetensors, ScalarsAndEmptyTensorsAreValid) {
  const std::string path = test::temp_path("edge.safetensors");
  test::st_write(path, {st_tensor("scalar", "F32", {}, {7.0f}), test::StTensor{"empty", "F16", {0, 4}, ""}},
                 {});
  auto f = SafetensorsFile::open(path);
  ASSERT_TRUE(f.is_ok()) << f.message();
  EXPECT_EQ((*f)->find("scalar")->n_elements(), 1);
  EXPECT_EQ((*f)->find("empty")->n_elements(), 0);
  EXPECT_EQ((*f)->find("empty")->size_bytes, 0u);
  EXPECT_EQ(safetensors_to_f32(*(*f)->find("scalar")).value(), std::vector<float>{7.0f});
}

// save_model's convention: a dropped shared tensor is recorded as "dropped": "kept" in __metadata__.
TEST(Safetensors, MetadataAliasesResolveToTheKeptTensor) {
  const std::string path = test::temp_path("alias.safetensors");
  test::st_write(path, {st_tensor("lm_head.weight", "F32", {2, 2}, {1, 2, 3, 4})},
                 {{"format", "pt"}, {"model.embed_tokens.weight", "lm_head.weight"}, {"comment", "not a tensor"}});
  auto f = SafetensorsFile::open(path);
  ASSERT_TRUE(f.is_ok()) << f.message();
  ASSERT_EQ((*f)->aliases().size(), 1u);
  EXPECT_EQ((*f)->aliases().at("model.embed_tokens.weight"), "lm_head.weight");
  EXPECT_EQ((*f)->find("model.embed_tokens.weight"), (*f)->find("lm_head.weight"));
  EXPECT_EQ((*f)->find("comment"), nullptr);
  EXPECT_EQ((*f)->tensors().size(), 1u);
}

TEST(Safetensors, RealTinyStoriesCheckpointTiesEmbeddingsThroughMetadata) {
  GREENLLM_REQUIRE_FIXTURE(dir, model_fixture, "tinystories-656k");
  auto ckpt = SafetensorsCheckpoint::open(dir);
  ASSERT_TRUE(ckpt.is_ok()) << ckpt.message();
  EXPECT_EQ((*ckpt)->files().size(), 1u);
  const auto names = (*ckpt)->tensor_names();
  EXPECT_EQ(names.size(), 20u);  // lm_head + 9 per layer x 2 + norm
  EXPECT_EQ(std::count(names.begin(), names.end(), "model.embed_tokens.weight"), 0);
  const auto* emb = (*ckpt)->find("model.embed_tokens.weight");
  ASSERT_NE(emb, nullptr);
  EXPECT_EQ(emb, (*ckpt)->find("lm_head.weight"));
  EXPECT_EQ(emb->shape, (std::vector<int64_t>{2048, 128}));
  EXPECT_EQ((*ckpt)->find("model.layers.1.self_attn.k_proj.weight")->shape, (std::vector<int64_t>{64, 128}));
  // Every byte after the header belongs to exactly one tensor.
  const auto& file = *(*ckpt)->files()[0];
  EXPECT_EQ((*ckpt)->total_tensor_bytes(), file.file_size_bytes() - file.data_offset());
}

TEST(Safetensors, ShardedCheckpointThroughTheIndex) {
  const std::string dir = fresh_dir("sharded");
  test::st_write_sharded(dir, {{st_tensor("x.weight", "F32", {2}, {1, 2}), st_tensor("y.weight", "F16", {1}, {3})},
                               {st_tensor("z.weight", "BF16", {2, 1}, {4, 5})}});
  for (const std::string& path : {dir, dir + "/model.safetensors.index.json"}) {
    auto ckpt = SafetensorsCheckpoint::open(path);
    ASSERT_TRUE(ckpt.is_ok()) << ckpt.message();
    EXPECT_EQ((*ckpt)->files().size(), 2u);
    EXPECT_EQ((*ckpt)->tensor_names(), (std::vector<std::string>{"x.weight", "y.weight", "z.weight"}));
    EXPECT_EQ(safetensors_to_f32(*(*ckpt)->find("z.weight")).value(), (std::vector<float>{4, 5}));
    EXPECT_NE((*ckpt)->find("z.weight")->file_path->find("model-00002-of-00002"), std::string::npos);
  }
}

TEST(Safetensors, ShardedCheckpointWithAnAliasInOneShard) {
  const std::string dir = fresh_dir("sharded-alias");
  test::st_write(dir + "/a.safetensors", {st_tensor("lm_head.weight", "F32", {2}, {1, 2})},
                 {{"format", "pt"}, {"embed.weight", "lm_head.weight"}});
  test::st_write(dir + "/b.safetensors", {st_tensor("norm.weight", "F32", {2}, {3, 4})});
  std::ofstream(dir + "/model.safetensors.index.json")
      << R"({"metadata": {"total_size": 16}, "weight_map": {"lm_head.weight": "a.safetensors",
            "embed.weight": "a.safetensors", "norm.weight": "b.safetensors"}})";
  auto ckpt = SafetensorsCheckpoint::open(dir);
  ASSERT_TRUE(ckpt.is_ok()) << ckpt.message();
  EXPECT_EQ((*ckpt)->find("embed.weight"), (*ckpt)->find("lm_head.weight"));
  EXPECT_EQ((*ckpt)->tensor_names().size(), 2u);
}

TEST(Safetensors, BadIndexesAreRefused) {
  const std::string dir = fresh_dir("bad-index");
  test::st_write(dir + "/a.safetensors", {st_tensor("w", "F32", {1}, {1})});
  test::st_write(dir + "/b.safetensors", {st_tensor("w", "F32", {1}, {2})});
  const std::string index = dir + "/model.safetensors.index.json";
  auto expect_error = [&](const std::string& json, const std::string& needle) {
    std::ofstream(index, std::ios::trunc) << json;
    auto ckpt = SafetensorsCheckpoint::open(dir);
    ASSERT_FALSE(ckpt.is_ok()) << json;
    EXPECT_NE(ckpt.message().find(needle), std::string::npos) << ckpt.message();
    EXPECT_EQ(ckpt.message().find('\n'), std::string::npos) << ckpt.message();
  };
  expect_error(R"({"weight_map": {"w": "a.safetensors", "v": "b.safetensors"}})", "also in");
  expect_error(R"({"weight_map": {"v": "a.safetensors"}})", "does not hold it");
  expect_error(R"({"weight_map": {"w": "../a.safetensors"}})", "inside the checkpoint folder");
  expect_error(R"({"weight_map": {"w": "/etc/passwd"}})", "inside the checkpoint folder");
  expect_error(R"({"weight_map": {"w": "missing.safetensors"}})", "missing.safetensors");
  expect_error(R"({"weight_map": {"w": 3}})", "not a file name");
  expect_error(R"({"weight_map": {}})", "empty");
  expect_error(R"({"metadata": {}})", "weight_map");
  expect_error(R"({"weight_map": )", "invalid JSON");
}

TEST(Safetensors, FolderLookup) {
  const std::string dir = fresh_dir("folder");
  auto none = SafetensorsCheckpoint::open(dir);
  ASSERT_FALSE(none.is_ok());
  EXPECT_NE(none.message().find("model.safetensors"), std::string::npos) << none.message();
  test::st_write(dir + "/model.safetensors", {st_tensor("w", "F32", {1}, {1})});
  auto one = SafetensorsCheckpoint::open(dir);
  ASSERT_TRUE(one.is_ok()) << one.message();
  EXPECT_EQ((*one)->tensor_names(), std::vector<std::string>{"w"});
}

// Each hostile file gives exactly one line that starts with the path and contains `needle`.
void expect_refused(const std::string& name, const std::string& bytes, const std::string& needle) {
  const std::string path = test::temp_path(name + ".safetensors");
  test::st_write_raw(path, bytes);
  auto f = SafetensorsFile::open(path);
  ASSERT_FALSE(f.is_ok()) << name;
  EXPECT_EQ(f.message().rfind(path + ": ", 0), 0u) << f.message();
  EXPECT_EQ(f.message().find('\n'), std::string::npos) << f.message();
  EXPECT_NE(f.message().find(needle), std::string::npos) << name << ": " << f.message();
}

std::string with_header(const std::string& header, size_t data_bytes = 16) {
  return test::st_bytes(header, std::string(data_bytes, '\0'));
}

TEST(Safetensors, HostileHeadersAreRefusedWithOneLine) {
  auto u64 = [](uint64_t n) { return std::string(reinterpret_cast<const char*>(&n), 8); };
  expect_refused("tiny", "abc", "too small");
  expect_refused("huge-length", u64(~0ull) + "{}", "exceeds the limit");
  expect_refused("length-past-end", u64(1000) + "{}", "past the end of the file");
  expect_refused("not-object", with_header("[1, 2]"), "JSON object");
  expect_refused("bad-json", with_header("{\"a\": {\"dtype\": \"F32\",}"), "invalid JSON");
  expect_refused("trailing-garbage", with_header("{} x"), "invalid JSON");
  expect_refused("nul-in-json", with_header(std::string("{\"a\0\": 1}", 10)), "invalid JSON");
  expect_refused("bad-utf8", with_header("{\"\xff\": 1}"), "invalid JSON");
  expect_refused("deep", with_header("{\"a\": " + std::string(5000, '[') + std::string(5000, ']') + "}"),
                 "nested deeper");
  expect_refused("entry-not-object", with_header(R"({"a": 3})"), "not an object");
  expect_refused("no-dtype", with_header(R"({"a": {"shape": [1], "data_offsets": [0, 4]}})"), "dtype");
  expect_refused("unknown-dtype", with_header(R"({"a": {"dtype": "Q4", "shape": [1], "data_offsets": [0, 4]}})"),
                 "unknown dtype 'Q4'");
  expect_refused("shape-not-array", with_header(R"({"a": {"dtype": "F32", "shape": 4, "data_offsets": [0, 16]}})"),
                 "shape");
  expect_refused("negative-dim", with_header(R"({"a": {"dtype": "F32", "shape": [-1, 4], "data_offsets": [0, 16]}})"),
                 "non-negative integers");
  expect_refused("float-dim", with_header(R"({"a": {"dtype": "F32", "shape": [1.5], "data_offsets": [0, 4]}})"),
                 "non-negative integers");
  expect_refused("absurd-shape",
                 with_header(R"({"a": {"dtype": "F32", "shape": [4294967296, 4294967296], "data_offsets": [0, 16]}})"),
                 "too large");
  expect_refused("huge-dim",
                 with_header(R"({"a": {"dtype": "F64", "shape": [18446744073709551615], "data_offsets": [0, 16]}})"),
                 "too large");
  expect_refused("too-many-dims",
                 with_header(R"({"a": {"dtype": "U8", "shape": [1,1,1,1,1,1,1,1,1], "data_offsets": [0, 1]}})"),
                 "dimensions");
  expect_refused("offsets-past-end", with_header(R"({"a": {"dtype": "F32", "shape": [8], "data_offsets": [0, 32]}})"),
                 "past the end of the data");
  expect_refused("offsets-reversed", with_header(R"({"a": {"dtype": "F32", "shape": [0], "data_offsets": [8, 4]}})"),
                 "end before they begin");
  expect_refused("offsets-three", with_header(R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4, 8]}})"),
                 "data_offsets");
  expect_refused("offsets-negative", with_header(R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [-4, 0]}})"),
                 "non-negative");
  expect_refused("size-mismatch", with_header(R"({"a": {"dtype": "F16", "shape": [2, 2], "data_offsets": [0, 16]}})"),
                 "needs 8");
  expect_refused("overlap", with_header(R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                                            "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}})"),
                 "overlap");
  expect_refused("duplicate", with_header(R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
                                              "a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}})"),
                 "twice");
  expect_refused("metadata-not-string", with_header(R"({"__metadata__": {"format": 1}})"), "not a string");
  expect_refused("metadata-not-object", with_header(R"({"__metadata__": []})"), "__metadata__");
  expect_refused("control-chars-in-name",
                 with_header("{\"a\\nb\": {\"dtype\": \"X\", \"shape\": [1], \"data_offsets\": [0, 4]}}"),
                 "a\\x0ab");
}

}  // namespace
}  // namespace greenllm::formats
