//===- GGUFTest.cpp - GGUF reader: values, tensors and malformed files ----===//
//
// The files are written byte by byte by a small writer in this test, so that
// every field can be made wrong on purpose: each malformed file must give an
// llvm::Error naming the file and the key or tensor, never a crash (every
// proper prefix of a valid file is tried).
//
//===----------------------------------------------------------------------===//

#include "txc/Support/GGUF.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/raw_ostream.h"

#include "gtest/gtest.h"

#include <cstring>

using namespace txc;
using llvm::StringRef;

namespace {

//===----------------------------------------------------------------------===//
// A GGUF writer for tests
//===----------------------------------------------------------------------===//

/// Little-endian encoders.
template <typename T> std::string enc(T v) {
  std::string s(sizeof(T), '\0');
  std::memcpy(s.data(), &v, sizeof(T));
  return s;
}
std::string str(StringRef s) { return enc<uint64_t>(s.size()) + s.str(); }
std::string vt(GGUFValueType t) { return enc(static_cast<uint32_t>(t)); }
/// An array value (without its own type field): element type, count,
/// elements.
std::string arr(GGUFValueType elem, const std::vector<std::string> &elems) {
  std::string s = vt(elem) + enc<uint64_t>(elems.size());
  for (const std::string &e : elems)
    s += e;
  return s;
}
/// One key/value pair.
std::string kv(StringRef key, GGUFValueType type, const std::string &value) {
  return str(key) + vt(type) + value;
}

struct TensorSpec {
  std::string name;
  std::vector<uint64_t> dims;
  uint32_t type;
  uint64_t offset;
};

/// A GGUF file: header, metadata, tensor descriptors, padding, data.
struct FileSpec {
  uint32_t version = 3;
  std::string magic = "GGUF";
  std::vector<std::string> kvs;
  std::vector<TensorSpec> tensors;
  uint64_t alignment = 32;
  std::string data;
  std::optional<uint64_t> tensorCount, kvCount;

  /// Appends a tensor whose bytes follow the previous tensor's, aligned;
  /// its bytes are a counting pattern.
  void addTensor(StringRef name, std::vector<uint64_t> dims, GGMLType type) {
    auto layout = *ggmlBlockLayout(static_cast<uint32_t>(type));
    uint64_t n = 1;
    for (uint64_t d : dims)
      n *= d;
    uint64_t bytes = n / layout.first * layout.second;
    uint64_t offset = llvm::alignTo(data.size(), alignment);
    data.resize(offset, '\0');
    for (uint64_t i = 0; i < bytes; ++i)
      data.push_back(static_cast<char>(i * 7 + tensors.size()));
    tensors.push_back(
        {name.str(), std::move(dims), static_cast<uint32_t>(type), offset});
  }

  std::string build() const {
    std::string s = magic + enc(version) +
                    enc<uint64_t>(tensorCount.value_or(tensors.size())) +
                    enc<uint64_t>(kvCount.value_or(kvs.size()));
    for (const std::string &k : kvs)
      s += k;
    for (const TensorSpec &t : tensors) {
      s += str(t.name) + enc<uint32_t>(t.dims.size());
      for (uint64_t d : t.dims)
        s += enc(d);
      s += enc(t.type) + enc(t.offset);
    }
    s.resize(llvm::alignTo(s.size(), alignment), '\0');
    return s + data;
  }
};

llvm::Expected<std::unique_ptr<GGUFFile>> parse(const std::string &bytes) {
  return GGUFFile::parse(
      llvm::MemoryBuffer::getMemBufferCopy(bytes, "test.gguf"));
}

/// The error text of parsing `bytes`, or "" when it parses.
std::string errorOf(const std::string &bytes) {
  auto file = parse(bytes);
  if (file)
    return "";
  return llvm::toString(file.takeError());
}

template <typename T> std::string errorText(llvm::Expected<T> value) {
  if (value)
    return "";
  return llvm::toString(value.takeError());
}

/// A small model-like file: metadata of several types and three tensors of
/// different types.
FileSpec sampleFile() {
  FileSpec f;
  f.kvs.push_back(
      kv("general.architecture", GGUFValueType::String, str("llama")));
  f.kvs.push_back(
      kv("llama.block_count", GGUFValueType::U32, enc<uint32_t>(2)));
  f.kvs.push_back(
      kv("llama.rope.freq_base", GGUFValueType::F32, enc<float>(10000.0f)));
  f.kvs.push_back(
      kv("tokenizer.ggml.tokens", GGUFValueType::Array,
         arr(GGUFValueType::String, {str("<s>"), str("a"), str("b")})));
  f.addTensor("token_embd.weight", {64, 3}, GGMLType::F16);
  f.addTensor("blk.0.attn_q.weight", {64, 2}, GGMLType::Q4_0);
  f.addTensor("output_norm.weight", {5}, GGMLType::F32);
  return f;
}

//===----------------------------------------------------------------------===//
// Valid files
//===----------------------------------------------------------------------===//

TEST(GGUF, ReadsEveryValueType) {
  FileSpec f;
  f.kvs = {
      kv("u8", GGUFValueType::U8, enc<uint8_t>(200)),
      kv("i8", GGUFValueType::I8, enc<int8_t>(-100)),
      kv("u16", GGUFValueType::U16, enc<uint16_t>(60000)),
      kv("i16", GGUFValueType::I16, enc<int16_t>(-30000)),
      kv("u32", GGUFValueType::U32, enc<uint32_t>(4000000000u)),
      kv("i32", GGUFValueType::I32, enc<int32_t>(-2000000000)),
      kv("f32", GGUFValueType::F32, enc<float>(1.5f)),
      kv("bool", GGUFValueType::Bool, enc<uint8_t>(1)),
      kv("string", GGUFValueType::String, str("hello")),
      kv("u64", GGUFValueType::U64, enc<uint64_t>(1ull << 40)),
      kv("u64.big", GGUFValueType::U64, enc<uint64_t>(~0ull)),
      kv("i64", GGUFValueType::I64, enc<int64_t>(-(1ll << 50))),
      kv("f64", GGUFValueType::F64, enc<double>(-2.25)),
      kv("ints", GGUFValueType::Array,
         arr(GGUFValueType::I32, {enc<int32_t>(1), enc<int32_t>(-2)})),
      kv("strings", GGUFValueType::Array,
         arr(GGUFValueType::String, {str("x"), str(""), str("yz")})),
      kv("empty", GGUFValueType::Array, arr(GGUFValueType::F32, {})),
      kv("nested", GGUFValueType::Array,
         arr(GGUFValueType::Array,
             {arr(GGUFValueType::U8, {enc<uint8_t>(1), enc<uint8_t>(2)}),
              arr(GGUFValueType::String, {str("deep")})})),
  };
  auto file = parse(f.build());
  ASSERT_TRUE(bool(file)) << llvm::toString(file.takeError());
  const GGUFFile &g = **file;
  EXPECT_EQ(g.version(), 3u);
  EXPECT_EQ(g.alignment(), 32u);
  EXPECT_TRUE(g.tensors().empty());
  ASSERT_EQ(g.metadata().size(), f.kvs.size());
  EXPECT_EQ(g.metadata()[0].first, "u8");
  EXPECT_EQ(g.metadata().back().first, "nested");

  EXPECT_EQ(cantFail(g.getInteger("u8")), 200);
  EXPECT_EQ(cantFail(g.getInteger("i8")), -100);
  EXPECT_EQ(cantFail(g.getInteger("u16")), 60000);
  EXPECT_EQ(cantFail(g.getInteger("i16")), -30000);
  EXPECT_EQ(cantFail(g.getInteger("u32")), 4000000000ll);
  EXPECT_EQ(cantFail(g.getInteger("i32")), -2000000000);
  EXPECT_EQ(cantFail(g.getInteger("u64")), 1ll << 40);
  EXPECT_EQ(cantFail(g.getInteger("i64")), -(1ll << 50));
  EXPECT_EQ(cantFail(g.getFloat("f32")), 1.5);
  EXPECT_EQ(cantFail(g.getFloat("f64")), -2.25);
  EXPECT_EQ(cantFail(g.getFloat("u32")), 4000000000.0);
  EXPECT_EQ(cantFail(g.getFloat("u64.big")), 18446744073709551615.0);
  EXPECT_TRUE(cantFail(g.getBool("bool")));
  EXPECT_EQ(cantFail(g.getString("string")), "hello");
  std::vector<StringRef> strings = cantFail(g.getStringArray("strings"));
  ASSERT_EQ(strings.size(), 3u);
  EXPECT_EQ(strings[0], "x");
  EXPECT_EQ(strings[1], "");
  EXPECT_EQ(strings[2], "yz");

  const GGUFValue *ints = g.lookup("ints");
  ASSERT_TRUE(ints);
  EXPECT_EQ(ints->type, GGUFValueType::Array);
  EXPECT_EQ(ints->elementType, GGUFValueType::I32);
  ASSERT_EQ(ints->array.size(), 2u);
  EXPECT_TRUE(ints->array[1].isInteger());
  EXPECT_EQ(ints->array[1].integer, -2);
  EXPECT_EQ(g.lookup("empty")->array.size(), 0u);
  EXPECT_EQ(g.lookup("empty")->elementType, GGUFValueType::F32);
  const GGUFValue *nested = g.lookup("nested");
  ASSERT_TRUE(nested);
  EXPECT_EQ(nested->elementType, GGUFValueType::Array);
  ASSERT_EQ(nested->array.size(), 2u);
  EXPECT_EQ(nested->array[0].elementType, GGUFValueType::U8);
  EXPECT_EQ(nested->array[0].array[1].integer, 2);
  EXPECT_EQ(nested->array[1].array[0].string, "deep");
  EXPECT_TRUE(g.lookup("f32")->isFloat());
  EXPECT_FALSE(g.lookup("bool")->isInteger());
  EXPECT_EQ(g.lookup("missing"), nullptr);
}

TEST(GGUF, TypedGettersNameKeyAndTypes) {
  FileSpec f;
  f.kvs = {kv("name", GGUFValueType::String, str("x")),
           kv("count", GGUFValueType::U32, enc<uint32_t>(3)),
           kv("flag", GGUFValueType::Bool, enc<uint8_t>(0)),
           kv("huge", GGUFValueType::U64, enc<uint64_t>(1ull << 63)),
           kv("ints", GGUFValueType::Array,
              arr(GGUFValueType::I32, {enc<int32_t>(1)}))};
  auto file = parse(f.build());
  ASSERT_TRUE(bool(file)) << llvm::toString(file.takeError());
  const GGUFFile &g = **file;
  EXPECT_EQ(errorText(g.getInteger("name")),
            "GGUF 'test.gguf': key 'name': expected an integer, got string");
  EXPECT_EQ(errorText(g.getInteger("flag")),
            "GGUF 'test.gguf': key 'flag': expected an integer, got bool");
  EXPECT_EQ(errorText(g.getInteger("nope")),
            "GGUF 'test.gguf': key 'nope': missing");
  EXPECT_EQ(errorText(g.getInteger("huge")),
            "GGUF 'test.gguf': key 'huge': value 9223372036854775808 does not "
            "fit in a signed 64-bit integer");
  EXPECT_EQ(errorText(g.getString("count")),
            "GGUF 'test.gguf': key 'count': expected a string, got u32");
  EXPECT_EQ(errorText(g.getFloat("name")),
            "GGUF 'test.gguf': key 'name': expected a number, got string");
  EXPECT_EQ(errorText(g.getBool("count")),
            "GGUF 'test.gguf': key 'count': expected a bool, got u32");
  EXPECT_EQ(errorText(g.getStringArray("ints")),
            "GGUF 'test.gguf': key 'ints': expected an array of string, got "
            "array of i32");
  EXPECT_EQ(errorText(g.getStringArray("name")),
            "GGUF 'test.gguf': key 'name': expected an array of string, got "
            "string");
  EXPECT_FALSE(cantFail(g.getBool("flag")));
}

TEST(GGUF, ReadsVersions2And3) {
  for (uint32_t version : {2u, 3u}) {
    FileSpec f = sampleFile();
    f.version = version;
    auto file = parse(f.build());
    ASSERT_TRUE(bool(file)) << llvm::toString(file.takeError());
    EXPECT_EQ((*file)->version(), version);
    EXPECT_EQ((*file)->tensors().size(), 3u);
  }
}

TEST(GGUF, FindsTensorsAndTheirBytes) {
  for (uint64_t alignment : {1u, 8u, 32u, 64u, 4096u}) {
    FileSpec f;
    f.alignment = alignment;
    if (alignment != 32)
      f.kvs.push_back(kv("general.alignment", GGUFValueType::U32,
                         enc<uint32_t>(alignment)));
    f.addTensor("a", {3, 2}, GGMLType::F32);
    f.addTensor("b", {64, 2, 1}, GGMLType::Q8_0);
    f.addTensor("c", {256}, GGMLType::Q4_K);
    f.addTensor("d", {1, 1, 1, 7}, GGMLType::I8);
    std::string bytes = f.build();
    auto file = parse(bytes);
    ASSERT_TRUE(bool(file)) << llvm::toString(file.takeError());
    const GGUFFile &g = **file;
    EXPECT_EQ(g.alignment(), alignment);
    EXPECT_EQ(g.dataOffset() % alignment, 0u);
    EXPECT_EQ(g.dataOffset() + f.data.size(), bytes.size());
    EXPECT_EQ(g.fileBytes().size(), bytes.size());
    ASSERT_EQ(g.tensors().size(), 4u);
    for (size_t i = 0; i < f.tensors.size(); ++i) {
      const TensorSpec &spec = f.tensors[i];
      const GGUFTensor *t = g.findTensor(spec.name);
      ASSERT_TRUE(t) << spec.name;
      EXPECT_EQ(t, &g.tensors()[i]);
      EXPECT_EQ(t->type, spec.type);
      EXPECT_EQ(t->offset, spec.offset);
      ASSERT_EQ(t->dims.size(), spec.dims.size());
      for (size_t d = 0; d < spec.dims.size(); ++d)
        EXPECT_EQ(static_cast<uint64_t>(t->dims[d]), spec.dims[d]);
      EXPECT_EQ(t->data.data(),
                g.fileBytes().data() + g.dataOffset() + spec.offset);
      EXPECT_EQ(std::string(t->data.begin(), t->data.end()),
                f.data.substr(spec.offset, t->data.size()));
    }
    const GGUFTensor *a = g.findTensor("a"), *b = g.findTensor("b"),
                     *c = g.findTensor("c"), *d = g.findTensor("d");
    EXPECT_EQ(a->numElements(), 6);
    EXPECT_EQ(a->rowBytes(), 12);
    EXPECT_EQ(a->data.size(), 24u);
    EXPECT_EQ(b->numElements(), 128);
    EXPECT_EQ(b->rowBytes(), 68);
    EXPECT_EQ(b->data.size(), 136u);
    EXPECT_EQ(c->rowBytes(), 144);
    EXPECT_EQ(c->data.size(), 144u);
    EXPECT_EQ(d->numElements(), 7);
    EXPECT_EQ(d->rowBytes(), 1);
    EXPECT_EQ(g.findTensor("e"), nullptr);
  }
}

TEST(GGUF, OpensFilesFromDisk) {
  llvm::SmallString<128> path;
  ASSERT_FALSE(llvm::sys::fs::createTemporaryFile("gguf-test", "gguf", path));
  {
    std::error_code ec;
    llvm::raw_fd_ostream out(path, ec);
    ASSERT_FALSE(ec);
    out << sampleFile().build();
  }
  auto file = GGUFFile::open(path);
  ASSERT_TRUE(bool(file)) << llvm::toString(file.takeError());
  EXPECT_EQ((*file)->identifier(), path);
  EXPECT_EQ(cantFail((*file)->getString("general.architecture")), "llama");
  EXPECT_EQ(cantFail((*file)->getStringArray("tokenizer.ggml.tokens")).size(),
            3u);
  ASSERT_TRUE((*file)->findTensor("blk.0.attn_q.weight"));
  EXPECT_EQ((*file)->findTensor("blk.0.attn_q.weight")->data.size(), 72u);
  llvm::sys::fs::remove(path);

  std::string missing = errorText(GGUFFile::open("/nonexistent/x.gguf"));
  EXPECT_NE(missing.find("cannot open '/nonexistent/x.gguf'"),
            std::string::npos)
      << missing;
}

TEST(GGUF, BlockLayoutsAndTypeNames) {
  struct Row {
    GGMLType type;
    const char *name;
    int64_t values, bytes;
  } rows[] = {
      {GGMLType::F32, "F32", 1, 4},       {GGMLType::F16, "F16", 1, 2},
      {GGMLType::BF16, "BF16", 1, 2},     {GGMLType::F64, "F64", 1, 8},
      {GGMLType::I8, "I8", 1, 1},         {GGMLType::I16, "I16", 1, 2},
      {GGMLType::I32, "I32", 1, 4},       {GGMLType::I64, "I64", 1, 8},
      {GGMLType::Q4_0, "Q4_0", 32, 18},   {GGMLType::Q4_1, "Q4_1", 32, 20},
      {GGMLType::Q5_0, "Q5_0", 32, 22},   {GGMLType::Q5_1, "Q5_1", 32, 24},
      {GGMLType::Q8_0, "Q8_0", 32, 34},   {GGMLType::Q8_1, "Q8_1", 32, 36},
      {GGMLType::Q2_K, "Q2_K", 256, 84},  {GGMLType::Q3_K, "Q3_K", 256, 110},
      {GGMLType::Q4_K, "Q4_K", 256, 144}, {GGMLType::Q5_K, "Q5_K", 256, 176},
      {GGMLType::Q6_K, "Q6_K", 256, 210}, {GGMLType::Q8_K, "Q8_K", 256, 292}};
  for (const Row &r : rows) {
    uint32_t t = static_cast<uint32_t>(r.type);
    EXPECT_EQ(ggmlTypeName(t), r.name);
    auto layout = ggmlBlockLayout(t);
    ASSERT_TRUE(layout) << r.name;
    EXPECT_EQ(layout->first, r.values) << r.name;
    EXPECT_EQ(layout->second, r.bytes) << r.name;
  }
  EXPECT_EQ(ggmlTypeName(16), "IQ2_XXS");
  EXPECT_FALSE(ggmlBlockLayout(16));
  EXPECT_FALSE(ggmlBlockLayout(4));
  EXPECT_EQ(ggmlTypeName(1000), "type 1000");
  EXPECT_FALSE(ggmlBlockLayout(1000));
}

//===----------------------------------------------------------------------===//
// Files written by the gguf Python package
//===----------------------------------------------------------------------===//

// Two seeds of scripts/fuzz_seeds.py (gguf package 0.19.0), byte for byte.

/// values.gguf (576 bytes).
const char kValuesGGUF[] =
    "\x47\x47\x55\x46\x03\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x11\x00\x00\x00\x00\x00\x00\x00\x14\x00\x00\x00\x00\x00\x00\x00"
    "\x67\x65\x6e\x65\x72\x61\x6c\x2e\x61\x72\x63\x68\x69\x74\x65\x63"
    "\x74\x75\x72\x65\x08\x00\x00\x00\x04\x00\x00\x00\x00\x00\x00\x00"
    "\x74\x65\x73\x74\x04\x00\x00\x00\x00\x00\x00\x00\x76\x2e\x75\x38"
    "\x00\x00\x00\x00\xc8\x04\x00\x00\x00\x00\x00\x00\x00\x76\x2e\x69"
    "\x38\x01\x00\x00\x00\x9c\x05\x00\x00\x00\x00\x00\x00\x00\x76\x2e"
    "\x75\x31\x36\x02\x00\x00\x00\x60\xea\x05\x00\x00\x00\x00\x00\x00"
    "\x00\x76\x2e\x69\x31\x36\x03\x00\x00\x00\xd0\x8a\x05\x00\x00\x00"
    "\x00\x00\x00\x00\x76\x2e\x75\x33\x32\x04\x00\x00\x00\x00\x28\x6b"
    "\xee\x05\x00\x00\x00\x00\x00\x00\x00\x76\x2e\x69\x33\x32\x05\x00"
    "\x00\x00\x00\x6c\xca\x88\x05\x00\x00\x00\x00\x00\x00\x00\x76\x2e"
    "\x66\x33\x32\x06\x00\x00\x00\x00\x00\xc0\x3f\x05\x00\x00\x00\x00"
    "\x00\x00\x00\x76\x2e\x75\x36\x34\x0a\x00\x00\x00\x01\x00\x00\x00"
    "\x00\x00\x00\x80\x05\x00\x00\x00\x00\x00\x00\x00\x76\x2e\x69\x36"
    "\x34\x0b\x00\x00\x00\x00\x00\x00\x00\x00\x00\xfc\xff\x05\x00\x00"
    "\x00\x00\x00\x00\x00\x76\x2e\x66\x36\x34\x0c\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x02\xc0\x06\x00\x00\x00\x00\x00\x00\x00\x76\x2e"
    "\x62\x6f\x6f\x6c\x07\x00\x00\x00\x00\x08\x00\x00\x00\x00\x00\x00"
    "\x00\x76\x2e\x73\x74\x72\x69\x6e\x67\x08\x00\x00\x00\x06\x00\x00"
    "\x00\x00\x00\x00\x00\x68\xc3\xa9\x6c\x6c\x6f\x06\x00\x00\x00\x00"
    "\x00\x00\x00\x76\x2e\x69\x6e\x74\x73\x09\x00\x00\x00\x05\x00\x00"
    "\x00\x03\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x02\x00\x00"
    "\x00\x03\x00\x00\x00\x08\x00\x00\x00\x00\x00\x00\x00\x76\x2e\x66"
    "\x6c\x6f\x61\x74\x73\x09\x00\x00\x00\x06\x00\x00\x00\x02\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x3f\x00\x00\x80\xbf\x09\x00\x00"
    "\x00\x00\x00\x00\x00\x76\x2e\x73\x74\x72\x69\x6e\x67\x73\x09\x00"
    "\x00\x00\x08\x00\x00\x00\x03\x00\x00\x00\x00\x00\x00\x00\x01\x00"
    "\x00\x00\x00\x00\x00\x00\x78\x00\x00\x00\x00\x00\x00\x00\x00\x02"
    "\x00\x00\x00\x00\x00\x00\x00\x79\x7a\x08\x00\x00\x00\x00\x00\x00"
    "\x00\x76\x2e\x6e\x65\x73\x74\x65\x64\x09\x00\x00\x00\x09\x00\x00"
    "\x00\x02\x00\x00\x00\x00\x00\x00\x00\x05\x00\x00\x00\x02\x00\x00"
    "\x00\x00\x00\x00\x00\x01\x00\x00\x00\x02\x00\x00\x00\x08\x00\x00"
    "\x00\x01\x00\x00\x00\x00\x00\x00\x00\x04\x00\x00\x00\x00\x00\x00"
    "\x00\x64\x65\x65\x70\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00";

/// aligned.gguf (768 bytes).
const char kAlignedGGUF[] =
    "\x47\x47\x55\x46\x03\x00\x00\x00\x06\x00\x00\x00\x00\x00\x00\x00"
    "\x02\x00\x00\x00\x00\x00\x00\x00\x14\x00\x00\x00\x00\x00\x00\x00"
    "\x67\x65\x6e\x65\x72\x61\x6c\x2e\x61\x72\x63\x68\x69\x74\x65\x63"
    "\x74\x75\x72\x65\x08\x00\x00\x00\x04\x00\x00\x00\x00\x00\x00\x00"
    "\x74\x65\x73\x74\x11\x00\x00\x00\x00\x00\x00\x00\x67\x65\x6e\x65"
    "\x72\x61\x6c\x2e\x61\x6c\x69\x67\x6e\x6d\x65\x6e\x74\x04\x00\x00"
    "\x00\x40\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00\x69\x38\x01"
    "\x00\x00\x00\x05\x00\x00\x00\x00\x00\x00\x00\x18\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x03\x00\x00\x00\x00\x00\x00\x00\x69"
    "\x31\x36\x01\x00\x00\x00\x03\x00\x00\x00\x00\x00\x00\x00\x19\x00"
    "\x00\x00\x40\x00\x00\x00\x00\x00\x00\x00\x03\x00\x00\x00\x00\x00"
    "\x00\x00\x69\x33\x32\x02\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00"
    "\x00\x02\x00\x00\x00\x00\x00\x00\x00\x1a\x00\x00\x00\x80\x00\x00"
    "\x00\x00\x00\x00\x00\x03\x00\x00\x00\x00\x00\x00\x00\x69\x36\x34"
    "\x01\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00\x1b\x00\x00\x00"
    "\xc0\x00\x00\x00\x00\x00\x00\x00\x03\x00\x00\x00\x00\x00\x00\x00"
    "\x66\x36\x34\x01\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00\x1c"
    "\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x04\x00\x00\x00\x00"
    "\x00\x00\x00\x62\x66\x31\x36\x04\x00\x00\x00\x01\x00\x00\x00\x00"
    "\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00"
    "\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x1e\x00\x00\x00\x40"
    "\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x01\x02\x03\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x01\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x01\x00\x00\x00\x02\x00\x00\x00\x03\x00\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xf0\x3f"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00";

std::string fromLiteral(const char *bytes, size_t sizeWithNul) {
  return std::string(bytes, sizeWithNul - 1);
}

TEST(GGUF, ReadsTheGGUFPackagesValues) {
  auto file = parse(fromLiteral(kValuesGGUF, sizeof(kValuesGGUF)));
  ASSERT_TRUE(bool(file)) << llvm::toString(file.takeError());
  const GGUFFile &g = **file;
  EXPECT_EQ(g.version(), 3u);
  EXPECT_EQ(g.metadata().size(), 17u);
  EXPECT_EQ(cantFail(g.getString("general.architecture")), "test");
  EXPECT_EQ(cantFail(g.getInteger("v.u8")), 200);
  EXPECT_EQ(cantFail(g.getInteger("v.i8")), -100);
  EXPECT_EQ(cantFail(g.getInteger("v.u16")), 60000);
  EXPECT_EQ(cantFail(g.getInteger("v.i16")), -30000);
  EXPECT_EQ(cantFail(g.getInteger("v.u32")), 4000000000ll);
  EXPECT_EQ(cantFail(g.getInteger("v.i32")), -2000000000);
  EXPECT_EQ(cantFail(g.getFloat("v.f32")), 1.5);
  EXPECT_EQ(static_cast<uint64_t>(g.lookup("v.u64")->integer),
            (1ull << 63) + 1);
  EXPECT_NE(errorText(g.getInteger("v.u64")).find("does not fit"),
            std::string::npos);
  EXPECT_EQ(cantFail(g.getInteger("v.i64")), -(1ll << 50));
  EXPECT_EQ(cantFail(g.getFloat("v.f64")), -2.25);
  EXPECT_FALSE(cantFail(g.getBool("v.bool")));
  EXPECT_EQ(cantFail(g.getString("v.string")), "h\xc3\xa9llo");
  const GGUFValue *ints = g.lookup("v.ints");
  ASSERT_TRUE(ints);
  EXPECT_EQ(ints->elementType, GGUFValueType::I32);
  ASSERT_EQ(ints->array.size(), 3u);
  EXPECT_EQ(ints->array[2].integer, 3);
  const GGUFValue *floats = g.lookup("v.floats");
  ASSERT_TRUE(floats);
  EXPECT_EQ(floats->elementType, GGUFValueType::F32);
  EXPECT_EQ(floats->array[1].real, -1.0);
  std::vector<StringRef> strings = cantFail(g.getStringArray("v.strings"));
  EXPECT_EQ(strings, (std::vector<StringRef>{"x", "", "yz"}));
  const GGUFValue *nested = g.lookup("v.nested");
  ASSERT_TRUE(nested);
  EXPECT_EQ(nested->elementType, GGUFValueType::Array);
  ASSERT_EQ(nested->array.size(), 2u);
  EXPECT_EQ(nested->array[0].elementType, GGUFValueType::I32);
  EXPECT_EQ(nested->array[0].array[1].integer, 2);
  EXPECT_EQ(nested->array[1].array[0].string, "deep");

  // The same bytes with the version field set to 2.
  std::string v2 = fromLiteral(kValuesGGUF, sizeof(kValuesGGUF));
  v2[4] = 2;
  auto file2 = parse(v2);
  ASSERT_TRUE(bool(file2)) << llvm::toString(file2.takeError());
  EXPECT_EQ((*file2)->version(), 2u);
}

TEST(GGUF, ReadsTheGGUFPackagesTensors) {
  std::string bytes = fromLiteral(kAlignedGGUF, sizeof(kAlignedGGUF));
  auto file = parse(bytes);
  ASSERT_TRUE(bool(file)) << llvm::toString(file.takeError());
  const GGUFFile &g = **file;
  EXPECT_EQ(g.alignment(), 64u);
  EXPECT_EQ(g.dataOffset(), 384u);
  ASSERT_EQ(g.tensors().size(), 6u);
  auto values = [&](StringRef name, auto zero) {
    const GGUFTensor *t = g.findTensor(name);
    std::vector<decltype(zero)> out;
    if (!t)
      return out;
    out.resize(t->data.size() / sizeof(zero));
    std::memcpy(out.data(), t->data.data(), t->data.size());
    return out;
  };
  EXPECT_EQ(values("i8", int8_t()), (std::vector<int8_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(values("i16", int16_t()), (std::vector<int16_t>{0, 1, 2}));
  EXPECT_EQ(values("i32", int32_t()), (std::vector<int32_t>{0, 1, 2, 3}));
  EXPECT_EQ(values("i64", int64_t()), (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(values("f64", double()), (std::vector<double>{0.0, 1.0}));
  const GGUFTensor *i32 = g.findTensor("i32");
  EXPECT_EQ(i32->type, static_cast<uint32_t>(GGMLType::I32));
  EXPECT_EQ(i32->dims, (llvm::SmallVector<int64_t, 4>{2, 2}));
  EXPECT_EQ(i32->offset, 128u);
  const GGUFTensor *bf16 = g.findTensor("bf16");
  EXPECT_EQ(bf16->type, static_cast<uint32_t>(GGMLType::BF16));
  EXPECT_EQ(bf16->numElements(), 2);
  EXPECT_EQ(bf16->data.size(), 4u);
  // The writer pads the file after the last tensor; any cut before the end
  // of that tensor is an error, a cut in the padding is not.
  size_t end = g.dataOffset() + bf16->offset + bf16->data.size();
  ASSERT_LT(end, bytes.size());
  for (size_t n = 0; n < end; ++n)
    EXPECT_NE(errorOf(bytes.substr(0, n)), "") << n;
  EXPECT_EQ(errorOf(bytes.substr(0, end)), "");
}

//===----------------------------------------------------------------------===//
// Malformed files
//===----------------------------------------------------------------------===//

TEST(GGUF, EveryTruncationIsAnError) {
  FileSpec f = sampleFile();
  f.kvs.push_back(kv(
      "nested", GGUFValueType::Array,
      arr(GGUFValueType::Array, {arr(GGUFValueType::F64, {enc<double>(1)})})));
  std::string bytes = f.build();
  ASSERT_EQ(errorOf(bytes), "");
  for (size_t n = 0; n < bytes.size(); ++n) {
    std::string message = errorOf(bytes.substr(0, n));
    EXPECT_NE(message, "") << "prefix of " << n << " bytes parsed";
    EXPECT_EQ(message.rfind("GGUF 'test.gguf': ", 0), 0u) << message;
  }
  EXPECT_EQ(errorOf(""), "GGUF 'test.gguf': header: truncated: the magic "
                         "needs 4 bytes at offset 0 but the file is 0 bytes");
  // Cut inside the first tensor's descriptor.
  std::string cut = bytes.substr(0, bytes.find("token_embd.weight") + 20);
  EXPECT_EQ(errorOf(cut),
            "GGUF 'test.gguf': tensor 'token_embd.weight': truncated: the "
            "number of dimensions needs 4 bytes at offset " +
                std::to_string(cut.size() - 3) + " but the file is " +
                std::to_string(cut.size()) + " bytes");
  // Cut in the data of the last tensor.
  std::string message = errorOf(bytes.substr(0, bytes.size() - 1));
  EXPECT_NE(message.find("tensor 'output_norm.weight': data ["),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("extends past the end of the file (" +
                         std::to_string(bytes.size() - 1) + " bytes"),
            std::string::npos)
      << message;
}

TEST(GGUF, RejectsBadHeaders) {
  FileSpec f = sampleFile();
  f.magic = "GGML";
  EXPECT_EQ(errorOf(f.build()),
            "GGUF 'test.gguf': not a GGUF file (the magic is 'GGML', "
            "expected 'GGUF')");
  f.magic = std::string("\x00\x01\x02\x03", 4);
  EXPECT_EQ(errorOf(f.build()), "GGUF 'test.gguf': not a GGUF file (the "
                                "magic is '0x00010203', expected 'GGUF')");

  f = sampleFile();
  f.version = 1;
  EXPECT_NE(errorOf(f.build()).find("GGUF version 1 is not supported"),
            std::string::npos);
  f.version = 4;
  EXPECT_EQ(errorOf(f.build()), "GGUF 'test.gguf': unsupported GGUF version "
                                "4 (txc reads versions 2 and 3)");
  f.version = 0;
  EXPECT_NE(errorOf(f.build()).find("unsupported GGUF version 0"),
            std::string::npos);
  f.version = 0x03000000; // 3, written big-endian
  EXPECT_EQ(errorOf(f.build()),
            "GGUF 'test.gguf': big-endian GGUF files are not supported "
            "(version 3 stored big-endian)");

  f = sampleFile();
  f.kvCount = 1ull << 60;
  EXPECT_NE(
      errorOf(f.build()).find("header: metadata count 1152921504606846976 "
                              "cannot fit in the"),
      std::string::npos);
  f = sampleFile();
  f.tensorCount = ~0ull;
  EXPECT_NE(errorOf(f.build()).find("header: tensor count 18446744073709551615 "
                                    "cannot fit in the"),
            std::string::npos);
  // More tensors than descriptors: runs into the padding and data.
  f = sampleFile();
  f.tensorCount = 4;
  EXPECT_NE(errorOf(f.build()), "");
}

TEST(GGUF, RejectsBadMetadata) {
  auto withKV = [](std::string k) {
    FileSpec f;
    f.kvs.push_back(kv("ok", GGUFValueType::U8, enc<uint8_t>(1)));
    f.kvs.push_back(std::move(k));
    return errorOf(f.build());
  };
  // Huge counts and lengths fail before allocating anything.
  EXPECT_EQ(
      withKV(kv("big", GGUFValueType::Array,
                vt(GGUFValueType::U32) + enc<uint64_t>(1ull << 61))),
      "GGUF 'test.gguf': key 'big': array of 2305843009213693952 u32 values at "
      "offset 54 needs at least 4 bytes each but only 30 bytes are left");
  EXPECT_NE(withKV(kv("big", GGUFValueType::Array,
                      vt(GGUFValueType::String) + enc<uint64_t>(~0ull)))
                .find("key 'big': array of 18446744073709551615 string values"),
            std::string::npos);
  EXPECT_NE(withKV(kv("big", GGUFValueType::Array,
                      vt(GGUFValueType::Array) + enc<uint64_t>(1ull << 40)))
                .find("key 'big': array of 1099511627776 array values"),
            std::string::npos);
  EXPECT_EQ(withKV(kv("s", GGUFValueType::String, enc<uint64_t>(~0ull))),
            "GGUF 'test.gguf': key 's': string value length "
            "18446744073709551615 at offset 52 exceeds the 4 bytes left in the "
            "file");
  EXPECT_EQ(withKV(enc<uint64_t>(1ull << 62)),
            "GGUF 'test.gguf': metadata entry 1: key length "
            "4611686018427387904 at offset 39 exceeds the 17 bytes left in the "
            "file");
  // An array the file can hold but the value budget cannot: refused
  // before its elements are allocated.
  std::string many = vt(GGUFValueType::U8) + enc<uint64_t>(1u << 22) +
                     std::string(1u << 22, '\1');
  EXPECT_EQ(withKV(kv("many", GGUFValueType::Array, many)),
            "GGUF 'test.gguf': key 'many': more than 4194304 metadata values "
            "in the file");
  // Types.
  EXPECT_EQ(withKV(kv("t", static_cast<GGUFValueType>(13), enc<uint32_t>(0))),
            "GGUF 'test.gguf': key 't': unknown value type 13");
  EXPECT_EQ(withKV(kv("t", GGUFValueType::Array,
                      enc<uint32_t>(99) + enc<uint64_t>(0))),
            "GGUF 'test.gguf': key 't': array of unknown value type 99");
  EXPECT_EQ(withKV(kv("b", GGUFValueType::Bool, enc<uint8_t>(2))),
            "GGUF 'test.gguf': key 'b': bool value 2 at offset 52 is neither 0 "
            "nor 1");
  EXPECT_NE(
      withKV(kv("b", GGUFValueType::Array,
                arr(GGUFValueType::Bool, {enc<uint8_t>(1), enc<uint8_t>(7)})))
          .find("key 'b' [1]: bool value 7"),
      std::string::npos);
  // Duplicates and empty keys.
  EXPECT_EQ(withKV(kv("ok", GGUFValueType::U8, enc<uint8_t>(2))),
            "GGUF 'test.gguf': key 'ok': duplicate key");
  EXPECT_EQ(withKV(kv("", GGUFValueType::U8, enc<uint8_t>(2))),
            "GGUF 'test.gguf': metadata entry 1: empty key");
  // Nesting.
  std::string nested = arr(GGUFValueType::U8, {});
  for (int depth = 1; depth < 8; ++depth)
    nested = arr(GGUFValueType::Array, {nested});
  EXPECT_EQ(withKV(kv("n", GGUFValueType::Array, nested)), "");
  nested = arr(GGUFValueType::Array, {nested});
  EXPECT_EQ(withKV(kv("n", GGUFValueType::Array, nested)),
            "GGUF 'test.gguf': key 'n' [0] [0] [0] [0] [0] [0] [0] [0]: arrays "
            "nested more than 8 deep");
}

TEST(GGUF, RejectsBadAlignment) {
  auto withAlignment = [](GGUFValueType type, std::string value) {
    FileSpec f;
    f.kvs.push_back(kv("general.alignment", type, std::move(value)));
    return errorOf(f.build());
  };
  EXPECT_EQ(withAlignment(GGUFValueType::U32, enc<uint32_t>(48)),
            "GGUF 'test.gguf': key 'general.alignment': alignment 48 is not a "
            "power of two");
  EXPECT_EQ(withAlignment(GGUFValueType::U32, enc<uint32_t>(0)),
            "GGUF 'test.gguf': key 'general.alignment': alignment 0 is not a "
            "power of two");
  EXPECT_EQ(withAlignment(GGUFValueType::U64, enc<uint64_t>(32)),
            "GGUF 'test.gguf': key 'general.alignment': expected a u32, got "
            "u64");
  EXPECT_EQ(withAlignment(GGUFValueType::U32, enc<uint32_t>(1u << 31)), "");
}

TEST(GGUF, RejectsBadTensors) {
  auto withTensor = [](TensorSpec t) {
    FileSpec f = sampleFile();
    f.tensors.push_back(std::move(t));
    return errorOf(f.build());
  };
  EXPECT_EQ(withTensor({"x", {32}, 16, 0}),
            "GGUF 'test.gguf': tensor 'x': unsupported ggml type IQ2_XXS (16)");
  EXPECT_EQ(withTensor({"x", {32}, 77, 0}),
            "GGUF 'test.gguf': tensor 'x': unknown ggml type 77");
  EXPECT_EQ(withTensor({"x", {}, 0, 0}),
            "GGUF 'test.gguf': tensor 'x': 0 dimensions (ggml tensors have 1 "
            "to 4)");
  EXPECT_EQ(withTensor({"x", {1, 1, 1, 1, 1}, 0, 0}),
            "GGUF 'test.gguf': tensor 'x': 5 dimensions (ggml tensors have 1 "
            "to 4)");
  EXPECT_EQ(withTensor({"x", {4, 0}, 0, 0}),
            "GGUF 'test.gguf': tensor 'x': dimension 1 is 0 (must be "
            "positive)");
  EXPECT_EQ(withTensor({"x", {1ull << 63}, 0, 0}),
            "GGUF 'test.gguf': tensor 'x': dimension 0 is 9223372036854775808 "
            "(must be positive)");
  EXPECT_EQ(withTensor({"x", {1ull << 32, 1ull << 32}, 0, 0}),
            "GGUF 'test.gguf': tensor 'x': the number of elements overflows "
            "(dimension 1 is 4294967296)");
  // The element count fits but the byte size does not.
  EXPECT_EQ(withTensor({"x", {1ull << 62}, 0, 0}),
            "GGUF 'test.gguf': tensor 'x': byte size overflows");
  EXPECT_EQ(withTensor({"x", {48}, 2, 0}),
            "GGUF 'test.gguf': tensor 'x': first dimension 48 is not a "
            "multiple of the Q4_0 block size 32");
  EXPECT_EQ(withTensor({"output_norm.weight", {4}, 0, 0}),
            "GGUF 'test.gguf': tensor 'output_norm.weight': duplicate tensor "
            "name");
  EXPECT_EQ(withTensor({"", {4}, 0, 0}),
            "GGUF 'test.gguf': tensor 3: empty tensor name");
  EXPECT_EQ(withTensor({"x", {4}, 0, 8}),
            "GGUF 'test.gguf': tensor 'x': data offset 8 is not a multiple of "
            "the alignment 32");

  // A tensor just past the data.
  FileSpec f = sampleFile();
  f.tensors.push_back({"x", {16}, 0, llvm::alignTo(f.data.size(), 32)});
  std::string bytes = f.build();
  uint64_t dataStart = bytes.size() - f.data.size();
  EXPECT_EQ(errorOf(bytes), "GGUF 'test.gguf': tensor 'x': data [" +
                                std::to_string(f.tensors.back().offset) + ", " +
                                std::to_string(f.tensors.back().offset + 64) +
                                ") extends past the end of the file (" +
                                std::to_string(bytes.size()) +
                                " bytes, data section at " +
                                std::to_string(dataStart) + ")");
  f.tensors.back().offset = ~0ull << 5;
  EXPECT_NE(errorOf(f.build()).find(
                "tensor 'x': data [18446744073709551584, overflow) extends "
                "past the end of the file"),
            std::string::npos);
}

} // namespace
