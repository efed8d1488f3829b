// Mutation fuzzing of the GGUF reader: thousands of deterministic random mutations of valid headers
// (bit flips, overwritten counts/lengths/types, truncations, insertions, deletions). Each mutant must
// either load, with every tensor inside the file and a clean write-and-reread, or be refused with a
// one-line message naming the file. Run under ASan/UBSan by the `sanitize` preset (ctest -R Fuzz).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <random>

#include "core/fp16.h"
#include "formats/gguf.h"
#include "formats/gguf_bytes.h"
#include "test_util.h"

namespace greenllm::formats {
namespace {

// Values that tend to land on a boundary when they overwrite a count, length, type or offset.
uint64_t interesting_u64(std::mt19937_64& rng) {
  static const uint64_t kValues[] = {0,
                                     1,
                                     2,
                                     3,
                                     4,
                                     5,
                                     8,
                                     9,
                                     12,
                                     13,
                                     31,
                                     32,
                                     33,
                                     64,
                                     200,
                                     255,
                                     256,
                                     0x7fffffffull,
                                     0x80000000ull,
                                     0xffffffffull,
                                     0x100000000ull,
                                     1ull << 60,
                                     1ull << 62,
                                     1ull << 63,
                                     ~0ull,
                                     ~0ull - 1,
                                     0x7fffffffffffffffull};
  const uint64_t pick = rng() % (std::size(kValues) + 2);
  if (pick < std::size(kValues)) return kValues[pick];
  if (pick == std::size(kValues)) return rng() % 1024;
  return rng();
}

// Applies 1 to 3 random mutations; positions other than truncations fall inside [0, header_end).
std::string mutate(std::string bytes, size_t header_end, std::mt19937_64& rng) {
  const int n = 1 + int(rng() % 3);
  for (int m = 0; m < n && !bytes.empty(); ++m) {
    const size_t region = std::max<size_t>(1, std::min(header_end, bytes.size()));
    const size_t at = rng() % region;
    switch (rng() % 8) {
      case 0:  // bit flips
        for (int k = 0, flips = 1 + int(rng() % 4); k < flips; ++k)
          bytes[(at + rng() % 8) % bytes.size()] ^= char(1u << (rng() % 8));
        break;
      case 1:  // one random byte
        bytes[at] = char(rng());
        break;
      case 2:
      case 3: {  // a u64 overwritten (counts, lengths, dims, offsets are u64)
        const uint64_t v = interesting_u64(rng);
        std::memcpy(bytes.data() + at, &v, std::min<size_t>(8, bytes.size() - at));
        break;
      }
      case 4: {  // a u32 overwritten (types, n_dims, version)
        const uint32_t v = uint32_t(rng() % 2 ? rng() % 16 : interesting_u64(rng));
        std::memcpy(bytes.data() + at, &v, std::min<size_t>(4, bytes.size() - at));
        break;
      }
      case 5:  // truncation anywhere
        bytes.resize(rng() % bytes.size());
        break;
      case 6: {  // insertion of random bytes
        std::string ins(1 + rng() % 16, '\0');
        for (char& c : ins) c = char(rng());
        bytes.insert(at, ins);
        break;
      }
      case 7:  // deletion
        bytes.erase(at, 1 + rng() % 16);
        break;
    }
  }
  return bytes;
}

struct FuzzStats {
  int n_loaded = 0;
  int n_refused = 0;
};

// Opens one mutant and checks the contract; a loaded file is also written again and re-read.
void check_mutant(const std::string& bytes, const std::string& path, const std::string& copy, FuzzStats* stats) {
  test::write_bytes(path, bytes);
  auto f = GgufFile::open(path);
  if (!f.is_ok()) {
    ++stats->n_refused;
    const std::string& msg = f.message();
    ASSERT_FALSE(msg.empty());
    ASSERT_EQ(msg.rfind(path + ": ", 0), 0u) << msg;
    ASSERT_EQ(msg.find('\n'), std::string::npos) << msg;
    return;
  }
  ++stats->n_loaded;
  const GgufFile& file = *f.value();
  unsigned sum = 0;
  for (const auto& t : file.tensors()) {
    ASSERT_LE(file.data_offset() + t.offset + t.size_bytes, file.file_size_bytes()) << t.name;
    ASSERT_GT(t.size_bytes, 0u);
    ASSERT_EQ(t.offset % file.alignment(), 0u);
    sum += t.data[0] + t.data[t.size_bytes - 1];  // inside the mapping, or this faults
  }
  for (const auto& kv : file.metadata()) sum += unsigned(kv.value.to_display_string().size());
  EXPECT_GE(sum, 0u);
  // Whatever the reader accepts, the writer must write and the reader read back identically.
  std::filesystem::remove(copy);
  const Status written = write_gguf(copy, file.content());
  ASSERT_TRUE(written.is_ok()) << written.message();
  auto g = GgufFile::open(copy);
  ASSERT_TRUE(g.is_ok()) << g.message();
  ASSERT_EQ(g.value()->metadata().size(), file.metadata().size());
  for (size_t i = 0; i < file.metadata().size(); ++i) {
    ASSERT_EQ(g.value()->metadata()[i].key, file.metadata()[i].key);
    ASSERT_TRUE(g.value()->metadata()[i].value == file.metadata()[i].value);
  }
  ASSERT_EQ(g.value()->tensors().size(), file.tensors().size());
  for (size_t i = 0; i < file.tensors().size(); ++i) {
    const auto& a = file.tensors()[i];
    const auto& b = g.value()->tensors()[i];
    ASSERT_EQ(a.name, b.name);
    ASSERT_EQ(a.shape, b.shape);
    ASSERT_EQ(a.size_bytes, b.size_bytes);
    ASSERT_EQ(std::memcmp(a.data, b.data, a.size_bytes), 0);
  }
}

void fuzz(const std::string& seed_bytes, size_t header_end, int n_iterations, uint64_t seed, const std::string& name) {
  const std::string path = test::temp_path(name + ".fuzz.gguf");
  const std::string copy = test::temp_path(name + ".fuzz.copy.gguf");
  test::write_bytes(path, seed_bytes);
  {
    auto f = GgufFile::open(path);
    ASSERT_TRUE(f.is_ok()) << "the unmutated file must load: " << f.message();
  }
  std::mt19937_64 rng(seed);
  FuzzStats stats;
  for (int i = 0; i < n_iterations; ++i) {
    const std::string mutant = mutate(seed_bytes, header_end, rng);
    SCOPED_TRACE("iteration " + std::to_string(i));
    check_mutant(mutant, path, copy, &stats);
    if (testing::Test::HasFatalFailure()) return;
  }
  std::filesystem::remove(path);
  std::filesystem::remove(copy);
  // Both outcomes occur, or the mutations are not exercising the reader.
  EXPECT_GT(stats.n_refused, n_iterations / 4);
  EXPECT_GT(stats.n_loaded, n_iterations / 50);
  std::printf("[ %s ] %d mutants loaded, %d refused\n", name.c_str(), stats.n_loaded, stats.n_refused);
}

// A small file with every value type (nested arrays too) and F32, F16, BF16, Q4_0 and Q8_0 tensors.
std::string self_written_seed(size_t* header_end) {
  static std::vector<uint8_t> data(1024);
  for (size_t i = 0; i < data.size(); ++i) data[i] = uint8_t(i * 31 + 7);
  GgufContent c;
  c.set("general.architecture", GgufValue::string("llama"));
  c.set("general.alignment", GgufValue::u32(64));
  c.set("u8", GgufValue::u8(1));
  c.set("i8", GgufValue::i8(-1));
  c.set("u16", GgufValue::u16(2));
  c.set("i16", GgufValue::i16(-2));
  c.set("u32", GgufValue::u32(3));
  c.set("i32", GgufValue::i32(-3));
  c.set("f32", GgufValue::f32(0.5f));
  c.set("bool", GgufValue::boolean(true));
  c.set("u64", GgufValue::u64(4));
  c.set("i64", GgufValue::i64(-4));
  c.set("f64", GgufValue::f64(0.25));
  c.set("empty", GgufValue::string(""));
  c.set("tokens", GgufValue::string_array({"<s>", "</s>", "a", "bc", ""}));
  c.set("scores", GgufValue::f32_array({0, -1, -2}));
  c.set("nested",
        GgufValue::array(GgufValueType::ARRAY, {GgufValue::i32_array({1, 2}), GgufValue::string_array({"x"})}));
  c.tensors.push_back({"f32", GgmlType::F32, {8, 2}, data.data(), 64});
  c.tensors.push_back({"f16", GgmlType::F16, {16}, data.data(), 32});
  c.tensors.push_back({"bf16", GgmlType::BF16, {4, 2, 1, 2}, data.data(), 32});
  c.tensors.push_back({"q4_0", GgmlType::Q4_0, {32, 2}, data.data(), 36});
  c.tensors.push_back({"q8_0", GgmlType::Q8_0, {64}, data.data(), 68});
  const std::string path = test::temp_path("fuzz-seed.gguf");
  EXPECT_TRUE(write_gguf(path, c).is_ok());
  auto f = GgufFile::open(path);
  EXPECT_TRUE(f.is_ok()) << f.message();
  *header_end = f.is_ok() ? size_t(f.value()->data_offset()) : 0;
  return test::read_file(path);
}

TEST(GgufFuzz, SelfWrittenFile) {
  size_t header_end = 0;
  const std::string seed = self_written_seed(&header_end);
  ASSERT_GT(header_end, 0u);
  fuzz(seed, header_end, 5000, 20240601, "self-written");
}

TEST(GgufFuzz, Stories260KHeader) {
  GREENLLM_REQUIRE_FIXTURE(path, model_fixture, "stories260K.gguf");
  auto f = GgufFile::open(path);
  ASSERT_TRUE(f.is_ok()) << f.message();
  const size_t header_end = size_t(f.value()->data_offset());
  // Mutations fall in the header (tokens, scores, tensor infos); the file keeps all its data.
  fuzz(test::read_file(path), header_end, 2000, 777, "stories260K");
}

}  // namespace
}  // namespace greenllm::formats
