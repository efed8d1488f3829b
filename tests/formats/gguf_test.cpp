// GGUF reader and writer: real llama.cpp files round trip, every value type round trips, hand-built
// bytes are read (and written) exactly, and hostile files give one-line errors naming file and byte.
#include "formats/gguf.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>

#include "core/fp16.h"
#include "formats/gguf_bytes.h"
#include "test_util.h"

namespace greenllm::formats {
namespace {

using test::GgufBytes;
using namespace test::gguf_ids;

std::unique_ptr<GgufFile> open_ok(const std::string& path) {
  auto f = GgufFile::open(path);
  EXPECT_TRUE(f.is_ok()) << f.message();
  return f.is_ok() ? std::move(f.value()) : nullptr;
}

// Opens `bytes` written to a temp file; the file must be refused with a one-line message that starts
// with the path, contains `expected` and says at which byte.
void expect_refused(const std::string& name, const std::string& bytes, const std::string& expected) {
  const std::string path = test::temp_path(name + ".gguf");
  test::write_bytes(path, bytes);
  auto f = GgufFile::open(path);
  ASSERT_FALSE(f.is_ok()) << name << ": accepted";
  const std::string& msg = f.message();
  EXPECT_EQ(msg.rfind(path + ": ", 0), 0u) << msg;
  EXPECT_NE(msg.find(expected), std::string::npos) << name << ": '" << msg << "' lacks '" << expected << "'";
  EXPECT_NE(msg.find("(at byte "), std::string::npos) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  std::filesystem::remove(path);
}

void expect_same_content(const GgufFile& a, const GgufFile& b) {
  ASSERT_EQ(a.metadata().size(), b.metadata().size());
  for (size_t i = 0; i < a.metadata().size(); ++i) {
    const auto& x = a.metadata()[i];
    const auto& y = b.metadata()[i];
    EXPECT_EQ(x.key, y.key) << "key " << i;
    EXPECT_EQ(x.value.type(), y.value.type()) << x.key;
    EXPECT_TRUE(x.value == y.value) << x.key << ": " << x.value.to_display_string() << " vs "
                                    << y.value.to_display_string();
  }
  ASSERT_EQ(a.tensors().size(), b.tensors().size());
  for (size_t i = 0; i < a.tensors().size(); ++i) {
    const auto& x = a.tensors()[i];
    const auto& y = b.tensors()[i];
    EXPECT_EQ(x.name, y.name);
    EXPECT_EQ(x.type, y.type) << x.name;
    EXPECT_EQ(x.shape, y.shape) << x.name;
    ASSERT_EQ(x.size_bytes, y.size_bytes) << x.name;
    EXPECT_EQ(std::memcmp(x.data, y.data, x.size_bytes), 0) << x.name;
  }
}

// Reads `path`, writes it again from its parsed content, reads the copy and compares.
void round_trip(const std::string& path, const std::string& copy_name) {
  auto a = open_ok(path);
  ASSERT_TRUE(a);
  const std::string copy = test::temp_path(copy_name);
  const Status written = write_gguf(copy, a->content());
  ASSERT_TRUE(written.is_ok()) << written.message();
  EXPECT_FALSE(std::filesystem::exists(copy + ".tmp"));
  auto b = open_ok(copy);
  ASSERT_TRUE(b);
  EXPECT_EQ(a->version(), b->version());
  EXPECT_EQ(a->alignment(), b->alignment());
  expect_same_content(*a, *b);
}

// Same, then removes the copy.
void round_trip_and_remove(const std::string& path, const std::string& copy_name) {
  round_trip(path, copy_name);
  std::filesystem::remove(test::temp_path(copy_name));
}

uint64_t read_u64_at(const std::string& bytes, size_t at) {
  uint64_t x;
  std::memcpy(&x, bytes.data() + at, 8);
  return x;
}

// ---- real files written by llama.cpp ----

TEST(GgufFixture, Stories260KKnownFacts) {
  GREENLLM_REQUIRE_FIXTURE(path, model_fixture, "stories260K.gguf");
  // The raw header, read without our reader: GGUF v3, 48 tensors (5 layers x 9 + 3), 19 keys.
  const std::string raw = test::read_file(path);
  ASSERT_GE(raw.size(), 24u);
  EXPECT_EQ(raw.substr(0, 4), "GGUF");
  EXPECT_EQ(raw[4], 3);
  EXPECT_EQ(read_u64_at(raw, 8), 48u);
  EXPECT_EQ(read_u64_at(raw, 16), 19u);

  auto f = open_ok(path);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->version(), 3u);
  EXPECT_EQ(f->tensors().size(), 48u);
  EXPECT_EQ(f->metadata().size(), 19u);
  EXPECT_EQ(f->alignment(), 32u);
  EXPECT_EQ(f->data_offset() % 32, 0u);
  EXPECT_EQ(f->get_string("general.architecture").value(), "llama");
  EXPECT_EQ(f->get_int("llama.block_count").value(), 5);
  EXPECT_EQ(f->get_int("llama.embedding_length").value(), 64);
  EXPECT_EQ(f->get_int("llama.feed_forward_length").value(), 172);
  EXPECT_EQ(f->get_int("llama.attention.head_count").value(), 8);
  EXPECT_EQ(f->get_int("llama.attention.head_count_kv").value(), 4);
  const GgufValue* tokens = f->find("tokenizer.ggml.tokens");
  ASSERT_NE(tokens, nullptr);
  const auto token_list = tokens->as_string_array();
  ASSERT_TRUE(token_list);
  EXPECT_EQ(token_list->size(), 512u);
  EXPECT_EQ((*token_list)[0], "<unk>");  // as a hex dump of the header shows
  const GgufTensorInfo* emb = f->find_tensor("token_embd.weight");
  ASSERT_NE(emb, nullptr);
  EXPECT_EQ(emb->type, GgmlType::F32);
  EXPECT_EQ(emb->shape, (std::vector<int64_t>{64, 512}));
  EXPECT_EQ(emb->size_bytes, 64u * 512 * 4);
  EXPECT_EQ(emb->n_elements(), 64 * 512);
  // The tensors fill the file exactly up to the trailing padding.
  uint64_t end = 0;
  for (const auto& t : f->tensors()) end = std::max(end, f->data_offset() + t.offset + t.size_bytes);
  EXPECT_LE(end, f->file_size_bytes());
  EXPECT_GT(end + 32, f->file_size_bytes());
}

TEST(GgufFixture, Stories260KRoundTrip) {
  GREENLLM_REQUIRE_FIXTURE(path, model_fixture, "stories260K.gguf");
  round_trip(path, "stories260K.copy.gguf");
  // llama.cpp lays the file out as we do, so the copy is byte-identical to the original.
  const std::string copy = test::temp_path("stories260K.copy.gguf");
  EXPECT_TRUE(test::read_file(path) == test::read_file(copy));
  std::filesystem::remove(copy);
}

TEST(GgufFixture, TinyStories5MRoundTripsByteForByte) {
  GREENLLM_REQUIRE_FIXTURE(path, model_fixture, "tinystories-5m.gguf");
  round_trip(path, "tinystories-5m.copy.gguf");
  const std::string copy = test::temp_path("tinystories-5m.copy.gguf");
  EXPECT_TRUE(test::read_file(path) == test::read_file(copy));
  std::filesystem::remove(copy);
}

TEST(GgufFixture, VocabOnlyFilesRoundTrip) {
  // llama.cpp's vocab-only files hold no tensors and end without padding after the header.
  const char* names[] = {"llama-spm", "llama-bpe", "qwen2", "gpt-2", "phi-3", "falcon", "starcoder", "deepseek-coder"};
  int n_found = 0;
  for (const char* name : names) {
    const auto path = test::model_fixture(std::string("tokenizer/ggml-vocab-") + name + ".gguf");
    if (!path) continue;
    ++n_found;
    SCOPED_TRACE(*path);
    round_trip_and_remove(*path, std::string("vocab-") + name + ".gguf");
    auto f = open_ok(*path);
    ASSERT_TRUE(f);
    EXPECT_TRUE(f->tensors().empty());
    const size_t n_tokens = f->find("tokenizer.ggml.tokens")->as_string_array()->size();
    if (std::string(name) == "llama-spm") {
      EXPECT_EQ(n_tokens, 32000u);  // Llama 2 (SentencePiece)
    }
    if (std::string(name) == "llama-bpe") {
      EXPECT_EQ(n_tokens, 128256u);  // Llama 3
    }
  }
  if (n_found == 0) GTEST_SKIP() << "fixtures tokenizer/ggml-vocab-*.gguf not found; skipping";
}

// ---- hand-built files: what the reader sees and what the writer produces ----

TEST(GgufReader, ReadsHandBuiltFileExactly) {
  const std::string path = test::temp_path("small.gguf");
  test::write_bytes(path, test::small_gguf_bytes());
  auto f = open_ok(path);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->version(), 3u);
  EXPECT_EQ(f->path(), path);
  ASSERT_EQ(f->metadata().size(), 3u);
  EXPECT_EQ(f->metadata()[0].key, "general.architecture");
  EXPECT_EQ(f->metadata()[1].key, "x.count");
  EXPECT_EQ(f->metadata()[1].value.type(), GgufValueType::UINT32);
  EXPECT_EQ(f->get_int("x.count").value(), 7);
  EXPECT_EQ(*f->find("x.list")->as_i32_array(), (std::vector<int32_t>{1, 2, 3}));
  EXPECT_EQ(f->data_offset(), 224u);  // the header is 208 bytes, padded to 32
  ASSERT_EQ(f->tensors().size(), 2u);
  const GgufTensorInfo& a = f->tensors()[0];
  EXPECT_EQ(a.size_bytes, 16u);
  float av[4];
  std::memcpy(av, a.data, 16);
  EXPECT_EQ(av[3], 3.5f);
  const GgufTensorInfo* b = f->find_tensor("b");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->type, GgmlType::F16);
  EXPECT_EQ(b->offset, 32u);
  EXPECT_EQ(b->size_bytes, 8u);
  uint16_t bv[4];
  std::memcpy(bv, b->data, 8);
  EXPECT_EQ(f16_to_f32(bv[3]), 4.0f);
  EXPECT_EQ(f->find_tensor("c"), nullptr);
  EXPECT_EQ(f->find("c"), nullptr);
}

TEST(GgufWriter, WritesTheSameBytesAsBuiltByHand) {
  GgufContent c;
  c.set("general.architecture", GgufValue::string("llama"));
  c.set("x.count", GgufValue::u32(7));
  c.set("x.list", GgufValue::i32_array({1, 2, 3}));
  const float a[4] = {0.5f, 1.5f, 2.5f, 3.5f};
  const uint16_t b[4] = {0x3c00, 0x4000, 0x4200, 0x4400};
  c.tensors.push_back({"a", GgmlType::F32, {4}, a, sizeof a});
  c.tensors.push_back({"b", GgmlType::F16, {2, 2}, b, sizeof b});
  const std::string path = test::temp_path("written.gguf");
  ASSERT_TRUE(write_gguf(path, c).is_ok());
  EXPECT_TRUE(test::read_file(path) == test::small_gguf_bytes());
}

TEST(GgufReader, AcceptsVersion2) {
  std::string bytes = test::small_gguf_bytes();
  bytes[4] = 2;
  const std::string path = test::temp_path("v2.gguf");
  test::write_bytes(path, bytes);
  auto f = open_ok(path);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->version(), 2u);
}

TEST(GgufReader, TypedGettersNameFileAndKey) {
  const std::string path = test::temp_path("getters.gguf");
  test::write_bytes(path, test::small_gguf_bytes());
  auto f = open_ok(path);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->get_float("x.count").value(), 7.0);  // integers convert to float
  auto missing = f->get_int("llama.block_count");
  ASSERT_FALSE(missing.is_ok());
  EXPECT_EQ(missing.message(), path + ": key 'llama.block_count' is missing");
  auto wrong = f->get_string("x.count");
  ASSERT_FALSE(wrong.is_ok());
  EXPECT_EQ(wrong.message(), path + ": key 'x.count' has type u32, expected string");
  auto not_int = f->get_int("general.architecture");
  ASSERT_FALSE(not_int.is_ok());
  EXPECT_NE(not_int.message().find("has type string, expected an integer"), std::string::npos);
  EXPECT_FALSE(f->get_bool("x.list").is_ok());
  EXPECT_FALSE(f->get_float("x.list").is_ok());
}

TEST(GgufWriter, EveryValueTypeRoundTrips) {
  GgufContent c;
  c.set("u8", GgufValue::u8(255));
  c.set("i8", GgufValue::i8(-128));
  c.set("u16", GgufValue::u16(65535));
  c.set("i16", GgufValue::i16(-32768));
  c.set("u32", GgufValue::u32(4000000000u));
  c.set("i32", GgufValue::i32(std::numeric_limits<int32_t>::min()));
  c.set("f32", GgufValue::f32(-1.5f));
  c.set("f32.nan", GgufValue::f32(std::numeric_limits<float>::quiet_NaN()));
  c.set("f32.denormal", GgufValue::f32(std::numeric_limits<float>::denorm_min()));
  c.set("bool.true", GgufValue::boolean(true));
  c.set("bool.false", GgufValue::boolean(false));
  c.set("string", GgufValue::string(std::string("h\xc3\xa9llo\n\0x", 9)));
  c.set("string.empty", GgufValue::string(""));
  c.set("u64", GgufValue::u64(std::numeric_limits<uint64_t>::max()));
  c.set("i64", GgufValue::i64(std::numeric_limits<int64_t>::min()));
  c.set("f64", GgufValue::f64(3.141592653589793));
  c.set("array.empty", GgufValue::array(GgufValueType::UINT8, {}));
  c.set("array.strings", GgufValue::string_array({"a", "", "ccc"}));
  c.set("array.f32", GgufValue::f32_array({1.0f, -2.0f}));
  c.set("array.bool", GgufValue::array(GgufValueType::BOOL, {GgufValue::boolean(true)}));
  c.set("array.nested", GgufValue::array(GgufValueType::ARRAY,
                                         {GgufValue::i32_array({1, 2}), GgufValue::i32_array({}),
                                          GgufValue::array(GgufValueType::ARRAY, {GgufValue::string_array({"x"})})}));
  c.set("array.u64", GgufValue::array(GgufValueType::UINT64, {GgufValue::u64(1ull << 63)}));
  const std::string path = test::temp_path("values.gguf");
  const Status s = write_gguf(path, c);
  ASSERT_TRUE(s.is_ok()) << s.message();
  auto f = open_ok(path);
  ASSERT_TRUE(f);
  ASSERT_EQ(f->metadata().size(), c.metadata.size());
  for (size_t i = 0; i < c.metadata.size(); ++i) {
    EXPECT_EQ(f->metadata()[i].key, c.metadata[i].key);
    EXPECT_TRUE(f->metadata()[i].value == c.metadata[i].value)
        << c.metadata[i].key << ": " << f->metadata()[i].value.to_display_string();
  }
  EXPECT_TRUE(f->tensors().empty());
  // Spot checks of the typed access.
  EXPECT_EQ(f->get_int("i8").value(), -128);
  EXPECT_EQ(f->get_int("u32").value(), 4000000000);
  EXPECT_FALSE(f->get_int("u64").is_ok());  // does not fit in int64
  EXPECT_TRUE(std::isnan(f->get_float("f32.nan").value()));
  EXPECT_EQ(f->get_float("f32").value(), -1.5);
  EXPECT_EQ(f->get_bool("bool.true").value(), true);
  EXPECT_EQ(f->get_string("string").value().size(), 9u);
  EXPECT_EQ(f->get_string("string.empty").value(), "");
  const GgufArray* nested = f->find("array.nested")->as_array();
  ASSERT_NE(nested, nullptr);
  EXPECT_EQ(nested->items.size(), 3u);
  EXPECT_EQ(*nested->items[0].as_i32_array(), (std::vector<int32_t>{1, 2}));
}

TEST(GgufWriter, F16AndBf16TensorsRoundTrip) {
  std::vector<uint16_t> h(16), b(8);
  for (size_t i = 0; i < h.size(); ++i) h[i] = f32_to_f16(float(i) * 0.25f - 1.0f);
  for (size_t i = 0; i < b.size(); ++i) b[i] = f32_to_bf16(float(i) * 1000.5f);
  GgufContent c;
  c.set("general.architecture", GgufValue::string("test"));
  c.tensors.push_back({"h", GgmlType::F16, {8, 2}, h.data(), h.size() * 2});
  c.tensors.push_back({"b", GgmlType::BF16, {2, 2, 2}, b.data(), b.size() * 2});
  const std::string path = test::temp_path("f16.gguf");
  ASSERT_TRUE(write_gguf(path, c).is_ok());
  auto f = open_ok(path);
  ASSERT_TRUE(f);
  const GgufTensorInfo* th = f->find_tensor("h");
  const GgufTensorInfo* tb = f->find_tensor("b");
  ASSERT_TRUE(th && tb);
  EXPECT_EQ(th->type, GgmlType::F16);
  EXPECT_EQ(tb->type, GgmlType::BF16);
  EXPECT_EQ(tb->shape, (std::vector<int64_t>{2, 2, 2}));
  EXPECT_EQ(th->offset % 32, 0u);
  EXPECT_EQ(tb->offset % 32, 0u);
  std::vector<uint16_t> h2(16), b2(8);
  std::memcpy(h2.data(), th->data, 32);
  std::memcpy(b2.data(), tb->data, 16);
  EXPECT_EQ(h2, h);
  EXPECT_EQ(b2, b);
  EXPECT_EQ(f16_to_f32(h2[5]), 0.25f);
  EXPECT_EQ(bf16_to_f32(b2[2]), 2000.0f);  // 2001 rounds to 2000 in bf16 (8 significant bits)
}

TEST(GgufWriter, HonorsAlignment64) {
  const float x[3] = {1, 2, 3};
  GgufContent c;
  c.alignment = 64;
  c.set("general.architecture", GgufValue::string("test"));
  c.tensors.push_back({"x", GgmlType::F32, {3}, x, sizeof x});
  c.tensors.push_back({"y", GgmlType::F32, {3}, x, sizeof x});
  const std::string path = test::temp_path("align64.gguf");
  ASSERT_TRUE(write_gguf(path, c).is_ok());
  auto f = open_ok(path);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->alignment(), 64u);
  EXPECT_EQ(f->get_int("general.alignment").value(), 64);
  EXPECT_EQ(f->find("general.alignment")->type(), GgufValueType::UINT32);
  EXPECT_EQ(f->data_offset() % 64, 0u);
  EXPECT_EQ(f->tensors()[1].offset, 64u);
  EXPECT_EQ(f->file_size_bytes() % 64, 0u);
  // Written again from its content, the key is not added twice.
  const std::string copy = test::temp_path("align64.copy.gguf");
  ASSERT_TRUE(write_gguf(copy, f->content()).is_ok());
  auto g = open_ok(copy);
  ASSERT_TRUE(g);
  expect_same_content(*f, *g);
  EXPECT_EQ(g->alignment(), 64u);

  // An alignment in the metadata is the one used (a reader knows no other).
  GgufContent d;
  d.set("general.alignment", GgufValue::u32(128));
  d.tensors.push_back({"x", GgmlType::F32, {3}, x, sizeof x});
  d.tensors.push_back({"y", GgmlType::F32, {3}, x, sizeof x});
  ASSERT_TRUE(write_gguf(path, d).is_ok());
  auto h = open_ok(path);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->alignment(), 128u);
  EXPECT_EQ(h->tensors()[1].offset, 128u);
  EXPECT_EQ(h->metadata().size(), 1u);
}

TEST(GgufWriter, QuantizedTensorIsParsedAndNamed) {
  // Q4_0: blocks of 32 elements in 18 bytes; a 64 x 2 tensor is 4 blocks.
  std::vector<uint8_t> q(4 * 18);
  for (size_t i = 0; i < q.size(); ++i) q[i] = uint8_t(i * 7);
  GgufContent c;
  c.tensors.push_back({"blk.0.attn_q.weight", GgmlType::Q4_0, {64, 2}, q.data(), q.size()});
  const std::string path = test::temp_path("q4_0.gguf");
  ASSERT_TRUE(write_gguf(path, c).is_ok());
  auto f = open_ok(path);
  ASSERT_TRUE(f);
  const GgufTensorInfo& t = f->tensors()[0];
  EXPECT_EQ(t.type, GgmlType::Q4_0);
  EXPECT_EQ(ggml_type_name(t.type), "q4_0");
  EXPECT_EQ(t.size_bytes, 72u);
  EXPECT_EQ(std::memcmp(t.data, q.data(), q.size()), 0);

  // A Q4_0 tensor written by hand (type id 2) is accepted by the reader too.
  GgufBytes g;
  g.header(3, 1, 0).tensor("q", {32, 3}, kTypeQ4_0, 0).pad(32).fill(54, 'q').pad(32);
  const std::string p2 = test::temp_path("q4_0.hand.gguf");
  test::write_bytes(p2, g.bytes());
  auto f2 = open_ok(p2);
  ASSERT_TRUE(f2);
  EXPECT_EQ(f2->tensors()[0].size_bytes, 54u);
}

TEST(GgufWriter, RefusesInconsistentContent) {
  const float x[4] = {};
  const std::string path = test::temp_path("bad-content.gguf");
  auto refused = [&](const GgufContent& c, const std::string& expected) {
    const Status s = write_gguf(path, c);
    ASSERT_FALSE(s.is_ok()) << expected;
    EXPECT_EQ(s.message().rfind(path + ": ", 0), 0u) << s.message();
    EXPECT_NE(s.message().find(expected), std::string::npos) << s.message();
    EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
  };
  GgufContent c;
  c.tensors.push_back({"x", GgmlType::F32, {3}, x, sizeof x});
  refused(c, "tensor 'x' has 16 bytes, but its type f32 and shape need 12");
  c.tensors[0] = {"x", GgmlType::Q4_0, {4}, x, sizeof x};
  refused(c, "not a multiple of the q4_0 block size 32");
  c.tensors[0] = {"x", GgmlType::F32, {2, 0}, x, 0};
  refused(c, "dimension 1 is 0");
  c.tensors[0] = {"x", GgmlType::F32, {1, 1, 1, 1, 1}, x, 4};
  refused(c, "5 dimensions");
  c.tensors[0] = {"x", GgmlType::F32, {4}, x, sizeof x};
  c.tensors.push_back(c.tensors[0]);
  refused(c, "duplicate tensor 'x'");
  GgufContent d;
  d.metadata.push_back({"k", GgufValue::u8(1)});
  d.metadata.push_back({"k", GgufValue::u8(2)});
  refused(d, "duplicate metadata key 'k'");
  GgufContent e;
  e.alignment = 48;
  refused(e, "not a power of two");
  GgufContent g;
  g.set("general.alignment", GgufValue::u64(64));
  refused(g, "must be a u32");
  GgufContent h;
  h.set("u8", GgufValue(GgufValueType::UINT8, uint64_t{300}));
  refused(h, "out of range");
  GgufContent i;
  i.set("arr", GgufValue::array(GgufValueType::INT32, {GgufValue::u8(1)}));
  refused(i, "array of i32 holds a u8");
  GgufContent j;
  j.version = 1;
  refused(j, "version 1");
}

TEST(GgufContent, SetReplacesOrAppends) {
  GgufContent c;
  c.set("a", GgufValue::u32(1));
  c.set("b", GgufValue::string("x"));
  c.set("a", GgufValue::i64(-2));
  ASSERT_EQ(c.metadata.size(), 2u);
  EXPECT_EQ(c.metadata[0].key, "a");
  EXPECT_TRUE(c.metadata[0].value == GgufValue::i64(-2));
  EXPECT_EQ(c.metadata[1].key, "b");
}

TEST(GgufValueTest, ConversionsAndDisplay) {
  EXPECT_EQ(GgufValue::u8(200).as_int(), 200);
  EXPECT_EQ(GgufValue::u64(1ull << 63).as_int(), std::nullopt);
  EXPECT_EQ(GgufValue::i16(-5).as_float(), -5.0);
  EXPECT_EQ(GgufValue::string("x").as_int(), std::nullopt);
  EXPECT_EQ(GgufValue::boolean(true).as_int(), std::nullopt);
  EXPECT_EQ(GgufValue::u8(1).as_bool(), std::nullopt);
  EXPECT_EQ(GgufValue::u8(1).as_string(), nullptr);
  EXPECT_EQ(GgufValue::string_array({"a"}).as_i32_array(), std::nullopt);
  EXPECT_EQ(GgufValue::i32_array({1}).as_string_array(), std::nullopt);
  EXPECT_EQ(GgufValue::array(GgufValueType::INT64, {GgufValue::i64(int64_t(1) << 40)}).as_i32_array(),
            std::nullopt);  // does not fit
  EXPECT_FALSE(GgufValue::u32(1) == GgufValue::i32(1));
  EXPECT_FALSE(GgufValue::f32(0.0f) == GgufValue::f32(-0.0f));  // bitwise
  EXPECT_TRUE(GgufValue::f64(std::nan("")) == GgufValue::f64(std::nan("")));
  EXPECT_EQ(GgufValue::f32(0.1f).to_display_string(), "0.1");
  EXPECT_EQ(GgufValue::i8(-3).to_display_string(), "-3");
  EXPECT_EQ(GgufValue::boolean(false).to_display_string(), "false");
  EXPECT_EQ(GgufValue::string("a\"b\n").to_display_string(), "\"a\\\"b\\n\"");
  EXPECT_EQ(GgufValue::i32_array({1, 2, 3}).to_display_string(), "[3 x i32: 1, 2, 3]");
  std::vector<int32_t> many(100, 7);
  const std::string shown = GgufValue::i32_array(many).to_display_string();
  EXPECT_EQ(shown.rfind("[100 x i32: 7, 7", 0), 0u);
  EXPECT_LT(shown.size(), 60u);
  EXPECT_LT(GgufValue::string(std::string(10000, 'x')).to_display_string().size(), 120u);
  EXPECT_STREQ(gguf_value_type_name(GgufValueType::FLOAT64), "f64");
}

TEST(GgufReader, LargeVocabularyParsesFast) {
  std::vector<std::string> tokens(32000);
  for (size_t i = 0; i < tokens.size(); ++i) tokens[i] = "tok" + std::to_string(i);
  std::vector<float> scores(tokens.size(), -1.0f);
  GgufContent c;
  c.set("tokenizer.ggml.tokens", GgufValue::string_array(tokens));
  c.set("tokenizer.ggml.scores", GgufValue::f32_array(scores));
  const std::string path = test::temp_path("vocab32k.gguf");
  ASSERT_TRUE(write_gguf(path, c).is_ok());
  const auto t0 = std::chrono::steady_clock::now();
  auto f = open_ok(path);
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_TRUE(f);
  EXPECT_EQ(*f->find("tokenizer.ggml.tokens")->as_string_array(), tokens);
  EXPECT_LT(ms, 1000.0) << "parsing 32000 tokens took " << ms << " ms";  // a few ms in Release
  std::filesystem::remove(path);
}

// ---- hostile files ----

TEST(GgufHostile, WrongMagicAndVersions) {
  std::string bytes = test::small_gguf_bytes();
  bytes[3] = 'X';
  expect_refused("magic", bytes, "bad magic 'GGUX' (expected 'GGUF') (at byte 0)");
  expect_refused("empty", "", "unexpected end of file reading the magic");
  expect_refused("short", "GG", "unexpected end of file");

  GgufBytes v1;
  v1.raw("GGUF").u32(1).u32(0).u32(0);  // v1 counts were u32
  expect_refused("v1", v1.bytes(), "GGUF version 1 is not supported");
  GgufBytes v4;
  v4.header(4, 0, 0);
  expect_refused("v4", v4.bytes(), "unsupported GGUF version 4");
  GgufBytes be;
  be.raw("GGUF").u32(0x03000000u).u64(0).u64(0);
  expect_refused("big-endian", be.bytes(), "big-endian GGUF (version 3 byte-swapped)");
}

TEST(GgufHostile, TruncatedAtEveryByte) {
  const std::string bytes = test::small_gguf_bytes();
  const size_t header_end = 208, data_end = 224 + 32 + 8;  // data_end: the end of tensor "b"
  ASSERT_EQ(bytes.size(), 224u + 64);
  const std::string path = test::temp_path("truncated.gguf");
  for (size_t n = 0; n < bytes.size(); ++n) {
    test::write_bytes(path, std::string_view(bytes).substr(0, n));
    auto f = GgufFile::open(path);
    if (n < data_end) {
      ASSERT_FALSE(f.is_ok()) << "truncated to " << n << " bytes was accepted";
      EXPECT_EQ(f.message().rfind(path + ": ", 0), 0u) << f.message();
      EXPECT_NE(f.message().find("(at byte "), std::string::npos) << f.message();
      if (n < header_end) {
        EXPECT_TRUE(f.message().find("end of file") != std::string::npos ||
                    f.message().find("left") != std::string::npos)
            << n << ": " << f.message();
      }
    } else {
      EXPECT_TRUE(f.is_ok()) << "only padding is missing: " << f.message();
    }
  }
}

TEST(GgufHostile, AbsurdCounts) {
  GgufBytes kv;
  kv.header(3, 0, 1ull << 62);
  expect_refused("n_kv", kv.bytes(), "metadata count 4611686018427387904 cannot fit in the 0 bytes left (at byte 16)");
  GgufBytes nt;
  nt.header(3, 1ull << 62, 0);
  expect_refused("n_tensors", nt.bytes(), "tensor count 4611686018427387904 cannot fit");
  GgufBytes sl;
  sl.header(3, 0, 1).key("s", kString).u64(1ull << 62).raw("abc");
  expect_refused("string-length", sl.bytes(), "a string value has length 4611686018427387904");
  GgufBytes kl;
  kl.header(3, 0, 1).u64(~0ull).raw("key").fill(20, 0);
  expect_refused("key-length", kl.bytes(),
                 "a metadata key has length 18446744073709551615 but only 23 bytes are left in the file (at byte 24)");
  GgufBytes ac;
  ac.header(3, 0, 1).key("arr", kArray).u32(kU8).u64(1ull << 60).fill(64, 0);
  expect_refused("array-count", ac.bytes(), "key 'arr': array of 1152921504606846976 u8 cannot fit");
  // 2^24 u8 fit in the bytes left, but would make 2^24 GgufValues (768 MiB): refused.
  GgufBytes many;
  many.header(3, 0, 1).key("arr", kArray).u32(kU8).u64(1ull << 24).fill(size_t(1) << 24, 0);
  expect_refused("array-many-values", many.bytes(), "more than any model needs");
  // 100 strings need at least 800 bytes; 64 are left.
  GgufBytes as;
  as.header(3, 0, 1).key("arr", kArray).u32(kString).u64(100).fill(64, 0);
  expect_refused("array-count-strings", as.bytes(), "array of 100 string cannot fit in the 64 bytes left");
}

TEST(GgufHostile, BadValues) {
  GgufBytes vt;
  vt.header(3, 0, 1).key("k", 99).u32(0);
  expect_refused("value-type", vt.bytes(), "key 'k': unknown value type 99 (at byte 33)");
  GgufBytes et;
  et.header(3, 0, 1).key("k", kArray).u32(13).u64(0);
  expect_refused("elem-type", et.bytes(), "key 'k': unknown array element type 13");
  GgufBytes dk;
  dk.header(3, 0, 2).key("k", kU8).u8(1).key("k", kU8).u8(2);
  expect_refused("duplicate-key", dk.bytes(), "duplicate metadata key 'k' (at byte 38)");
  GgufBytes bo;
  bo.header(3, 0, 1).key("b", kBool).u8(2);
  expect_refused("bool", bo.bytes(), "key 'b': bool value 2 is neither 0 nor 1");
  GgufBytes ctl;
  ctl.header(3, 0, 1).key("a\nb", 99).u32(0);
  expect_refused("control-key", ctl.bytes(), "key 'a\\x0ab'");
  // Arrays of arrays of ... deeper than the reader allows.
  GgufBytes deep;
  deep.header(3, 0, 1).key("deep", kArray);
  for (int i = 0; i < 20; ++i) deep.u32(kArray).u64(1);
  deep.u32(kU8).u64(0);
  expect_refused("deep", deep.bytes(), "arrays nested more than 8 deep");
}

TEST(GgufHostile, BadAlignment) {
  for (uint32_t a : {0u, 48u, 33u}) {
    GgufBytes g;
    g.header(3, 0, 1).key("general.alignment", kU32).u32(a);
    expect_refused("alignment" + std::to_string(a), g.bytes(),
                   "general.alignment is " + std::to_string(a) + ", not a power of two");
  }
  GgufBytes t;
  t.header(3, 0, 1).key("general.alignment", kU64).u64(64);
  expect_refused("alignment-type", t.bytes(), "general.alignment has type u64, expected u32");
}

// A file with one tensor named "t" whose info is given; data of `data_bytes` bytes follows.
std::string one_tensor(std::initializer_list<uint64_t> dims, uint32_t type, uint64_t offset, size_t data_bytes = 64) {
  GgufBytes g;
  g.header(3, 1, 0).tensor("t", dims, type, offset).pad(32).fill(data_bytes, 1);
  return g.bytes();
}

TEST(GgufHostile, BadTensorInfos) {
  expect_refused("n_dims5", one_tensor({1, 1, 1, 1, 1}, kTypeF32, 0),
                 "tensor 't' has 5 dimensions (must be 1 to 4) (at byte 33)");
  expect_refused("n_dims0", one_tensor({}, kTypeF32, 0), "tensor 't' has 0 dimensions");
  expect_refused("dim0", one_tensor({4, 0}, kTypeF32, 0), "tensor 't' dimension 1 is 0 (must be >= 1)");
  expect_refused("dim-negative", one_tensor({uint64_t(-3)}, kTypeF32, 0), "dimension 0 is -3");
  expect_refused("elements-overflow", one_tensor({1ull << 40, 1ull << 40}, kTypeF32, 0),
                 "has more elements than fit in 64 bits");
  expect_refused("bytes-overflow", one_tensor({1ull << 62}, kTypeF32, 0), "takes more bytes than fit in 64 bits");
  expect_refused("block", one_tensor({33}, kTypeQ4_0, 0), "row length 33 is not a multiple of the q4_0 block size 32");
  expect_refused("type200", one_tensor({4}, 200, 0), "tensor 't' has unknown type id 200");
  expect_refused("type4", one_tensor({4}, 4, 0), "unknown type id 4");  // retired by ggml
  expect_refused("misaligned", one_tensor({4}, kTypeF32, 4),
                 "tensor 't' offset 4 is not a multiple of the alignment 32");
  expect_refused("offset-past-end", one_tensor({4}, kTypeF32, 1ull << 20), "extends past the end");
  expect_refused("offset-huge", one_tensor({4}, kTypeF32, 1ull << 63), "extends past the end");
  expect_refused("size-past-end", one_tensor({17}, kTypeF32, 0), "extends past the end");
  expect_refused("big-shape", one_tensor({1ull << 20, 1ull << 20}, kTypeF32, 0), "extends past the end");
  // Tensors but no data section at all.
  GgufBytes nd;
  nd.header(3, 1, 0).tensor("t", {1}, kTypeF32, 0).raw("abc");
  expect_refused("no-data", nd.bytes(), "past the end of the file");

  GgufBytes dup;
  dup.header(3, 2, 0).tensor("t", {4}, kTypeF32, 0).tensor("t", {4}, kTypeF32, 32).pad(32).fill(64, 0);
  expect_refused("duplicate-tensor", dup.bytes(), "duplicate tensor 't'");
}

}  // namespace
}  // namespace greenllm::formats
