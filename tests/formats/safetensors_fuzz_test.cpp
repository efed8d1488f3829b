// Mutation fuzzing of the safetensors reader: deterministic random mutations of valid files, both
// byte-level (bit flips, overwritten length, truncations, insertions, deletions) and structural
// (the JSON header re-serialized with one field changed: dtypes, dims, offsets, aliases, entries
// duplicated or dropped). Each mutant must either load, with every tensor inside the file and
// consistent, or be refused with one line naming the file. Run under ASan/UBSan by CI (-R Fuzz).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <random>

#include "formats/safetensors.h"
#include "formats/safetensors_writer.h"
#include "test_util.h"

namespace greenllm::formats {
namespace {

using ojson = nlohmann::ordered_json;

uint64_t interesting_u64(std::mt19937_64& rng) {
  static const uint64_t kValues[] = {0, 1, 2, 3, 4, 7, 8, 15, 16, 24, 31, 32, 63, 64, 100, 255, 256, 4096,
                                     0x7fffffffull, 0x80000000ull, 0xffffffffull, 0x100000000ull, 1ull << 53,
                                     1ull << 61, 1ull << 62, (1ull << 62) + 1, 1ull << 63, ~0ull, ~0ull - 1,
                                     0x7fffffffffffffffull};
  const uint64_t pick = rng() % (std::size(kValues) + 2);
  if (pick < std::size(kValues)) return kValues[pick];
  if (pick == std::size(kValues)) return rng() % 512;
  return rng();
}

// A JSON value that may replace a number: usually an integer, sometimes something invalid.
ojson interesting_json(std::mt19937_64& rng) {
  switch (rng() % 10) {
    case 0: return -int64_t(1 + rng() % 8);
    case 1: return 1.5;
    case 2: return "8";
    case 3: return nullptr;
    case 4: return ojson::array({1});
    default: return interesting_u64(rng);
  }
}

// One structural change to the parsed header.
void mutate_header(ojson& h, std::mt19937_64& rng) {
  std::vector<std::string> names;
  for (auto it = h.begin(); it != h.end(); ++it)
    if (it.key() != "__metadata__") names.push_back(it.key());
  if (names.empty()) return;
  const std::string name = names[rng() % names.size()];
  ojson& t = h[name];
  static const char* kDtypes[] = {"F32", "F16", "BF16", "I64", "U8", "BOOL", "F64", "F8_E4M3", "Q4_0", "", "f32"};
  switch (rng() % 12) {
    case 0: t["dtype"] = kDtypes[rng() % std::size(kDtypes)]; break;
    case 1:
    case 2:
      if (t.contains("shape") && t["shape"].is_array() && !t["shape"].empty())
        t["shape"][rng() % t["shape"].size()] = interesting_json(rng);
      break;
    case 3:
      if (t.contains("shape") && t["shape"].is_array()) {
        if (rng() % 2 && !t["shape"].empty()) t["shape"].erase(t["shape"].size() - 1);
        else t["shape"].push_back(interesting_u64(rng) % 5);
      }
      break;
    case 4:
    case 5:
    case 6:
      if (t.contains("data_offsets") && t["data_offsets"].is_array() && t["data_offsets"].size() == 2) {
        const size_t k = rng() % 2;
        if (rng() % 2 || !t["data_offsets"][k].is_number_unsigned()) t["data_offsets"][k] = interesting_json(rng);
        else t["data_offsets"][k] = t["data_offsets"][k].get<uint64_t>() + (rng() % 9) - 4;
      }
      break;
    case 7: t.erase(rng() % 2 ? "dtype" : rng() % 2 ? "shape" : "data_offsets"); break;
    case 8: h[name + "_copy"] = t; break;  // a second tensor over the same bytes
    case 9: h["__metadata__"][std::string("alias") + std::to_string(rng() % 3)] = names[rng() % names.size()]; break;
    case 10: h["__metadata__"][name] = rng() % 2 ? ojson("x") : ojson(3); break;
    case 11: h.erase(name); break;
  }
}

std::string mutate_bytes(std::string bytes, size_t header_end, std::mt19937_64& rng) {
  const int n = 1 + int(rng() % 3);
  for (int m = 0; m < n && !bytes.empty(); ++m) {
    const size_t at = rng() % std::max<size_t>(1, std::min(header_end, bytes.size()));
    switch (rng() % 7) {
      case 0:
        for (int k = 0, flips = 1 + int(rng() % 4); k < flips; ++k)
          bytes[(at + rng() % 8) % bytes.size()] ^= char(1u << (rng() % 8));
        break;
      case 1: bytes[at] = char(rng()); break;
      case 2: {  // the header length
        const uint64_t v = rng() % 2 ? interesting_u64(rng) : header_end - 8 + (rng() % 17) - 8;
        std::memcpy(bytes.data(), &v, std::min<size_t>(8, bytes.size()));
        break;
      }
      case 3: bytes.resize(rng() % bytes.size()); break;
      case 4: {
        std::string ins(1 + rng() % 16, '\0');
        for (char& c : ins) c = "{}[]\":,0123456789 e-.x\\"[rng() % 24];
        bytes.insert(at, ins);
        break;
      }
      case 5: bytes.erase(at, 1 + rng() % 16); break;
      case 6: {  // a digit run replaced by another number, keeping the JSON valid more often
        const size_t start = bytes.find_first_of("0123456789", std::max<size_t>(8, at));
        if (start == std::string::npos || start >= header_end) break;
        const size_t end = bytes.find_first_not_of("0123456789", start);
        bytes.replace(start, (end == std::string::npos ? bytes.size() : end) - start,
                      std::to_string(interesting_u64(rng)));
        break;
      }
    }
  }
  return bytes;
}

struct FuzzStats {
  int n_loaded = 0;
  int n_refused = 0;
};

void check_mutant(const std::string& bytes, const std::string& path, FuzzStats* stats) {
  test::st_write_raw(path, bytes);
  auto f = SafetensorsFile::open(path);
  if (!f.is_ok()) {
    ++stats->n_refused;
    const std::string& msg = f.message();
    ASSERT_EQ(msg.rfind(path + ": ", 0), 0u) << msg;
    ASSERT_EQ(msg.find('\n'), std::string::npos) << msg;
    return;
  }
  ++stats->n_loaded;
  const SafetensorsFile& file = **f;
  uint64_t prev_end = file.data_offset();
  for (const auto& t : file.tensors()) {
    ASSERT_GE(t.offset_bytes, prev_end) << t.name;  // sorted, no overlap
    ASSERT_LE(t.offset_bytes + t.size_bytes, file.file_size_bytes()) << t.name;
    ASSERT_EQ(uint64_t(t.n_elements()) * safetensors_dtype_bytes(t.dtype), t.size_bytes) << t.name;
    ASSERT_EQ(file.find(t.name), &t);
    prev_end = t.offset_bytes + t.size_bytes;
    auto values = safetensors_to_f32(t);  // reads every byte of float tensors (ASan checks bounds)
    const bool is_float = t.dtype == SafetensorsDtype::F32 || t.dtype == SafetensorsDtype::F16 ||
                          t.dtype == SafetensorsDtype::BF16;
    ASSERT_EQ(values.is_ok(), is_float) << t.name;
    if (!values.is_ok()) {
      ASSERT_EQ(values.message().find('\n'), std::string::npos);
    }
  }
  for (const auto& [alias, target] : file.aliases()) {
    ASSERT_NE(file.find(alias), nullptr) << alias;
    ASSERT_EQ(file.find(alias)->name, target);
  }
  auto ckpt = SafetensorsCheckpoint::open(path);
  ASSERT_TRUE(ckpt.is_ok()) << ckpt.message();
  ASSERT_EQ((*ckpt)->tensor_names().size(), file.tensors().size());
}

void fuzz(const std::string& seed_bytes, int n_iterations, uint64_t seed, const std::string& name) {
  const std::string path = test::temp_path(name + ".fuzz.safetensors");
  test::st_write_raw(path, seed_bytes);
  size_t header_end = 0;
  ojson header;
  {
    auto f = SafetensorsFile::open(path);
    ASSERT_TRUE(f.is_ok()) << "the unmutated file must load: " << f.message();
    header_end = size_t((*f)->data_offset());
    header = ojson::parse(seed_bytes.substr(8, header_end - 8));
  }
  const std::string data = seed_bytes.substr(header_end);
  std::mt19937_64 rng(seed);
  FuzzStats stats;
  for (int i = 0; i < n_iterations; ++i) {
    std::string mutant;
    if (rng() % 2) {
      ojson h = header;
      for (int k = 0, n = 1 + int(rng() % 2); k < n; ++k) mutate_header(h, rng);
      mutant = test::st_bytes(h.dump(), data);
      if (rng() % 4 == 0) mutant = mutate_bytes(mutant, header_end, rng);
    } else {
      mutant = mutate_bytes(seed_bytes, header_end, rng);
    }
    SCOPED_TRACE("iteration " + std::to_string(i));
    check_mutant(mutant, path, &stats);
    if (testing::Test::HasFatalFailure()) return;
  }
  std::filesystem::remove(path);
  EXPECT_GT(stats.n_refused, n_iterations / 4);
  EXPECT_GT(stats.n_loaded, n_iterations / 20);
  std::printf("[ %s ] %d mutants loaded, %d refused\n", name.c_str(), stats.n_loaded, stats.n_refused);
}

TEST(SafetensorsFuzz, SelfWrittenFile) {
  std::vector<float> v(24);
  for (size_t i = 0; i < v.size(); ++i) v[i] = float(i) * 0.5f - 3.0f;
  const std::vector<test::StTensor> tensors = {
      test::st_tensor("lm_head.weight", "F32", {4, 6}, v),
      test::st_tensor("model.norm.weight", "F16", {6}, std::vector<float>(v.begin(), v.begin() + 6)),
      test::st_tensor("model.layers.0.mlp.up_proj.weight", "BF16", {2, 3, 4}, v),
      test::StTensor{"position_ids", "I64", {1, 2}, std::string(16, '\1')},
      test::st_tensor("scale", "F32", {}, {2.0f}),
  };
  const std::string bytes =
      test::st_file_bytes(tensors, {{"format", "pt"}, {"model.embed_tokens.weight", "lm_head.weight"}});
  fuzz(bytes, 4000, 20250101, "self-written");
}

TEST(SafetensorsFuzz, TinyStoriesHeader) {
  GREENLLM_REQUIRE_FIXTURE(dir, model_fixture, "tinystories-656k");
  fuzz(test::read_file(dir + "/model.safetensors"), 400, 4242, "tinystories-656k");
}

}  // namespace
}  // namespace greenllm::formats
