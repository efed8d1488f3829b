// Safetensors reader: header validation (length, JSON, dtypes, shapes, offsets), aliases from
// __metadata__, sharded checkpoints through model.safetensors.index.json.
#include "formats/safetensors.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "core/fp16.h"
#include "core/text_util.h"

namespace greenllm::formats {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct DtypeInfo {
  SafetensorsDtype dtype;
  const char* name;
  uint32_t bytes;
};
// clang-format off
constexpr DtypeInfo kDtypes[] = {
    {SafetensorsDtype::BOOL, "BOOL", 1}, {SafetensorsDtype::U8, "U8", 1}, {SafetensorsDtype::I8, "I8", 1},
    {SafetensorsDtype::F8_E5M2, "F8_E5M2", 1}, {SafetensorsDtype::F8_E4M3, "F8_E4M3", 1},
    {SafetensorsDtype::F8_E8M0, "F8_E8M0", 1}, {SafetensorsDtype::I16, "I16", 2}, {SafetensorsDtype::U16, "U16", 2},
    {SafetensorsDtype::F16, "F16", 2}, {SafetensorsDtype::BF16, "BF16", 2}, {SafetensorsDtype::I32, "I32", 4},
    {SafetensorsDtype::U32, "U32", 4}, {SafetensorsDtype::F32, "F32", 4}, {SafetensorsDtype::I64, "I64", 8},
    {SafetensorsDtype::U64, "U64", 8}, {SafetensorsDtype::F64, "F64", 8},
};
// clang-format on

// Deepest nesting of JSON arrays/objects in `text` (strings skipped), stopping early past `limit`:
// the JSON library's values are destroyed recursively, so depth is bounded before parsing.
int json_depth(std::string_view text, int limit) {
  int depth = 0, max_depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '{' || c == '[') max_depth = std::max(max_depth, ++depth);
    else if (c == '}' || c == ']') --depth;
    if (max_depth > limit) break;
  }
  return max_depth;
}

// Parses `text` as JSON; the error is one line. `duplicate_top_key` gets a key that appears twice in
// the top-level object, if any.
Result<json> parse_json(std::string_view text, const std::string& where, std::string* duplicate_top_key = nullptr) {
  if (json_depth(text, kSafetensorsMaxJsonDepth) > kSafetensorsMaxJsonDepth)
    return Status::error(fmt::format("{}: JSON nested deeper than {} levels", where, kSafetensorsMaxJsonDepth));
  std::set<std::string> top_keys;
  std::string dup;
  json::parser_callback_t cb = [&](int depth, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::key && depth == 1 && parsed.is_string() && dup.empty()) {
      if (!top_keys.insert(parsed.get<std::string>()).second) dup = parsed.get<std::string>();
    }
    return true;
  };
  try {
    json j = json::parse(text.begin(), text.end(), cb, /*allow_exceptions=*/true, /*ignore_comments=*/false);
    if (duplicate_top_key) *duplicate_top_key = dup;
    return j;
  } catch (const json::exception& e) {
    return Status::error(fmt::format("{}: invalid JSON: {}", where, printable(e.what())));
  }
}

}  // namespace

std::string_view safetensors_dtype_name(SafetensorsDtype dtype) {
  for (const auto& d : kDtypes)
    if (d.dtype == dtype) return d.name;
  return "?";
}

std::optional<SafetensorsDtype> safetensors_dtype_from_name(std::string_view name) {
  for (const auto& d : kDtypes)
    if (name == d.name) return d.dtype;
  return std::nullopt;
}

uint32_t safetensors_dtype_bytes(SafetensorsDtype dtype) {
  for (const auto& d : kDtypes)
    if (d.dtype == dtype) return d.bytes;
  return 0;
}

int64_t SafetensorsTensor::n_elements() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;  // bounded at open: no overflow
  return n;
}

Result<std::unique_ptr<SafetensorsFile>> SafetensorsFile::open(const std::string& path) {
  auto mapped = MmapFile::open(path);
  if (!mapped) return mapped.status();
  std::unique_ptr<SafetensorsFile> file(new SafetensorsFile());
  file->path_ = path;
  file->file_ = std::move(*mapped);
  GREENLLM_TRY(file->parse());
  return file;
}

Status SafetensorsFile::parse() {
  auto bad = [&](const std::string& what) { return Status::error(path_ + ": " + what); };
  const uint8_t* base = file_->data();
  const uint64_t size = file_->size_bytes();
  if (size < 8) return bad(fmt::format("too small for a safetensors header ({} bytes)", size));
  uint64_t n_header = 0;
  for (int i = 7; i >= 0; --i) n_header = (n_header << 8) | base[i];
  if (n_header > kSafetensorsMaxHeaderBytes)
    return bad(fmt::format("header length {} exceeds the limit of {} bytes (not a safetensors file?)", n_header,
                           kSafetensorsMaxHeaderBytes));
  if (n_header > size - 8)
    return bad(fmt::format("header length {} runs past the end of the file ({} bytes)", n_header, size));
  if (n_header < 2 || base[8] != '{') return bad("header is not a JSON object (must start with '{')");
  data_offset_ = 8 + n_header;
  const uint64_t buffer_bytes = size - data_offset_;
  const std::string_view text(reinterpret_cast<const char*>(base + 8), size_t(n_header));

  std::string dup;
  auto parsed = parse_json(text, path_ + ": header", &dup);
  if (!parsed) return parsed.status();
  const json& header = *parsed;
  if (!header.is_object()) return bad("header is not a JSON object");
  if (!dup.empty()) return bad(fmt::format("header names '{}' twice", printable(dup)));

  for (const auto& [name, info] : header.items()) {
    if (name == "__metadata__") {
      if (!info.is_object()) return bad("__metadata__ is not an object");
      for (const auto& [key, value] : info.items()) {
        if (!value.is_string())
          return bad(fmt::format("__metadata__ value of '{}' is not a string", printable(key)));
        metadata_[key] = value.get<std::string>();
      }
      continue;
    }
    const std::string where = fmt::format("tensor '{}'", printable(name));
    if (!info.is_object()) return bad(where + ": entry is not an object");
    const auto dtype_it = info.find("dtype");
    const auto shape_it = info.find("shape");
    const auto offsets_it = info.find("data_offsets");
    if (dtype_it == info.end() || !dtype_it->is_string()) return bad(where + ": missing or non-string dtype");
    if (shape_it == info.end() || !shape_it->is_array()) return bad(where + ": missing or non-array shape");
    if (offsets_it == info.end() || !offsets_it->is_array() || offsets_it->size() != 2)
      return bad(where + ": data_offsets must be an array [begin, end]");

    SafetensorsTensor t;
    t.name = name;
    const auto dtype = safetensors_dtype_from_name(dtype_it->get<std::string>());
    if (!dtype) return bad(fmt::format("{}: unknown dtype '{}'", where, printable(dtype_it->get<std::string>())));
    t.dtype = *dtype;
    if (shape_it->size() > size_t(kSafetensorsMaxDims))
      return bad(fmt::format("{}: {} dimensions (at most {})", where, shape_it->size(), kSafetensorsMaxDims));
    // Dimensions and the product of the non-zero ones stay below 2^62 (so no count can overflow);
    // the byte count is then bounded by the data buffer below.
    constexpr uint64_t kLimit = uint64_t(1) << 62;
    uint64_t n_nonzero = 1;
    bool has_zero = false, too_large = false;
    for (const auto& d : *shape_it) {
      if (!d.is_number_unsigned())
        return bad(fmt::format("{}: shape has {} (dimensions must be non-negative integers)", where,
                               printable(d.dump())));
      const uint64_t v = d.get<uint64_t>();
      if (v == 0) has_zero = true;
      else if (v > kLimit / n_nonzero) too_large = true;
      else n_nonzero *= v;
      if (too_large) break;
      t.shape.push_back(int64_t(v));
    }
    const uint64_t n_elements = has_zero ? 0 : n_nonzero;
    const uint64_t elem_bytes = safetensors_dtype_bytes(t.dtype);
    if (too_large || n_elements > kLimit / elem_bytes)
      return bad(fmt::format("{}: shape {} is too large", where, printable(shape_it->dump())));
    for (const auto& o : *offsets_it)
      if (!o.is_number_unsigned()) return bad(where + ": data_offsets must be non-negative integers");
    const uint64_t begin = (*offsets_it)[0].get<uint64_t>(), end = (*offsets_it)[1].get<uint64_t>();
    if (begin > end) return bad(fmt::format("{}: data_offsets [{}, {}] end before they begin", where, begin, end));
    if (end > buffer_bytes)
      return bad(fmt::format("{}: data_offsets [{}, {}] run past the end of the data ({} bytes)", where, begin, end,
                             buffer_bytes));
    t.size_bytes = n_elements * elem_bytes;
    if (end - begin != t.size_bytes)
      return bad(fmt::format("{}: data_offsets [{}, {}] hold {} bytes, but shape {} of {} needs {}", where, begin, end,
                             end - begin, shape_to_string(t.shape), safetensors_dtype_name(t.dtype), t.size_bytes));
    t.offset_bytes = data_offset_ + begin;
    t.data = base + t.offset_bytes;
    tensors_.push_back(std::move(t));
  }

  std::sort(tensors_.begin(), tensors_.end(), [](const SafetensorsTensor& a, const SafetensorsTensor& b) {
    return a.offset_bytes != b.offset_bytes ? a.offset_bytes < b.offset_bytes : a.size_bytes < b.size_bytes;
  });
  for (size_t i = 1; i < tensors_.size(); ++i) {
    const auto& prev = tensors_[i - 1];
    const auto& cur = tensors_[i];
    if (prev.offset_bytes + prev.size_bytes > cur.offset_bytes)
      return bad(fmt::format("tensors '{}' and '{}' overlap in the data", printable(prev.name), printable(cur.name)));
  }
  for (size_t i = 0; i < tensors_.size(); ++i) {
    tensors_[i].file_path = &path_;
    index_.emplace(tensors_[i].name, i);
  }
  for (const auto& [key, value] : metadata_) {
    if (key == "format" || index_.count(key) != 0) continue;
    if (index_.count(value) != 0) aliases_[key] = value;
  }
  return Status::ok();
}

const SafetensorsTensor* SafetensorsFile::find(std::string_view name) const {
  if (auto it = index_.find(name); it != index_.end()) return &tensors_[it->second];
  if (auto a = aliases_.find(std::string(name)); a != aliases_.end()) {
    if (auto it = index_.find(a->second); it != index_.end()) return &tensors_[it->second];
  }
  return nullptr;
}

Result<std::unique_ptr<SafetensorsCheckpoint>> SafetensorsCheckpoint::open(const std::string& path) {
  std::error_code ec;
  std::string index_path, single_path;
  std::vector<std::string> parts;
  if (fs::is_directory(path, ec)) {
    const fs::path dir(path);
    if (fs::exists(dir / "model.safetensors.index.json", ec)) {
      index_path = (dir / "model.safetensors.index.json").string();
    } else if (fs::exists(dir / "model.safetensors", ec)) {
      single_path = (dir / "model.safetensors").string();
    } else {
      // Shards without an index (model-00001-of-00002.safetensors, ...), as llama.cpp accepts.
      for (const auto& e : fs::directory_iterator(dir, ec)) {
        const std::string n = e.path().filename().string();
        if (n.rfind("model", 0) == 0 && n.size() > 12 && n.substr(n.size() - 12) == ".safetensors")
          parts.push_back(e.path().string());
      }
      std::sort(parts.begin(), parts.end());
      if (parts.empty())
        return Status::error(path + ": no model.safetensors, model.safetensors.index.json or model*.safetensors here");
    }
  } else if (path.size() >= 5 && path.substr(path.size() - 5) == ".json") {
    index_path = path;
  } else {
    single_path = path;
  }

  std::unique_ptr<SafetensorsCheckpoint> ckpt(new SafetensorsCheckpoint());
  auto add_file = [&](const std::string& p) -> Status {
    auto f = SafetensorsFile::open(p);
    if (!f) return f.status();
    for (const auto& t : (*f)->tensors()) {
      auto [it, inserted] = ckpt->by_name_.emplace(t.name, &t);
      if (!inserted)
        return Status::error(fmt::format("{}: tensor '{}' is also in {}", p, printable(t.name), *it->second->file_path));
    }
    ckpt->files_.push_back(std::move(*f));
    return Status::ok();
  };

  if (!single_path.empty()) parts.push_back(single_path);
  std::map<std::string, std::string> weight_map;  // tensor -> shard path
  if (!index_path.empty()) {
    std::ifstream in(index_path, std::ios::binary);
    if (!in) return Status::error(index_path + ": cannot open");
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string text = ss.str();
    if (text.size() > kSafetensorsMaxHeaderBytes) return Status::error(index_path + ": index file too large");
    auto parsed = parse_json(text, index_path);
    if (!parsed) return parsed.status();
    const json& index = *parsed;
    const auto wm = index.is_object() ? index.find("weight_map") : index.end();
    if (!index.is_object() || wm == index.end() || !wm->is_object())
      return Status::error(index_path + ": no \"weight_map\" object");
    std::set<std::string> shards;
    const fs::path dir = fs::path(index_path).parent_path();
    for (const auto& [name, shard] : wm->items()) {
      if (!shard.is_string())
        return Status::error(fmt::format("{}: weight_map entry '{}' is not a file name", index_path, printable(name)));
      const fs::path rel(shard.get<std::string>());
      bool escapes = rel.empty() || rel.is_absolute();
      for (const auto& part : rel)
        if (part == "..") escapes = true;
      if (escapes)
        return Status::error(fmt::format("{}: shard name '{}' must be a file name inside the checkpoint folder",
                                         index_path, printable(shard.get<std::string>())));
      const std::string shard_path = (dir / rel).string();
      weight_map[name] = shard_path;
      shards.insert(shard_path);
    }
    if (shards.empty()) return Status::error(index_path + ": weight_map is empty");
    parts.assign(shards.begin(), shards.end());
  }
  for (const auto& p : parts) GREENLLM_TRY(add_file(p));

  // Aliases after all real names, so that a real tensor always wins.
  for (const auto& f : ckpt->files_)
    for (const auto& [alias, target] : f->aliases())
      if (ckpt->by_name_.count(alias) == 0) ckpt->by_name_.emplace(alias, f->find(target));

  for (const auto& [name, shard_path] : weight_map) {
    const SafetensorsFile* shard = nullptr;
    for (const auto& f : ckpt->files_)
      if (f->path() == shard_path) shard = f.get();
    if (shard == nullptr || shard->find(name) == nullptr)
      return Status::error(fmt::format("{}: weight_map puts '{}' in {}, which does not hold it", index_path,
                                       printable(name), shard_path));
  }
  return ckpt;
}

std::vector<std::string> SafetensorsCheckpoint::tensor_names() const {
  std::vector<std::string> names;
  for (const auto& f : files_)
    for (const auto& t : f->tensors()) names.push_back(t.name);
  std::sort(names.begin(), names.end());
  return names;
}

const SafetensorsTensor* SafetensorsCheckpoint::find(std::string_view name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second;
}

uint64_t SafetensorsCheckpoint::total_tensor_bytes() const {
  uint64_t total = 0;
  for (const auto& f : files_)
    for (const auto& t : f->tensors()) total += t.size_bytes;
  return total;
}

Result<std::vector<float>> safetensors_to_f32(const SafetensorsTensor& t) {
  const size_t n = size_t(t.n_elements());
  std::vector<float> out(n);
  switch (t.dtype) {
    case SafetensorsDtype::F32:
      if (n) std::memcpy(out.data(), t.data, n * 4);
      break;
    case SafetensorsDtype::F16:
    case SafetensorsDtype::BF16:
      for (size_t i = 0; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, t.data + 2 * i, 2);
        out[i] = t.dtype == SafetensorsDtype::F16 ? f16_to_f32(h) : bf16_to_f32(h);
      }
      break;
    default:
      return Status::error(fmt::format("{}: tensor '{}' has dtype {}; only F32, F16 and BF16 can be converted",
                                       t.file_path ? *t.file_path : std::string("?"), printable(t.name),
                                       safetensors_dtype_name(t.dtype)));
  }
  return out;
}

}  // namespace greenllm::formats
