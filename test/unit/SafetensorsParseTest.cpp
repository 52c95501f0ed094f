//===- SafetensorsParseTest.cpp - safetensors reader on hostile input -----===//
//
// SafetensorsFile::parse on files built in memory: valid headers, and the
// malformed ones fuzzing turned up, each of which must be an error naming the
// file and the entry instead of a wrong tensor or a crash.
//
//===----------------------------------------------------------------------===//

#include "txc/Support/Safetensors.h"

#include "gtest/gtest.h"

#include <string>

using namespace txc;

namespace {

/// A safetensors file: 8-byte header length, the header, the data.
std::string file(const std::string &header, const std::string &data = "") {
  std::string s(8, '\0');
  uint64_t n = header.size();
  for (int i = 0; i < 8; ++i)
    s[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  return s + header + data;
}

llvm::Expected<std::unique_ptr<SafetensorsFile>>
parse(const std::string &bytes) {
  return SafetensorsFile::parse(
      llvm::MemoryBuffer::getMemBufferCopy(bytes, "test.safetensors"));
}

std::string errorOf(const std::string &bytes) {
  auto f = parse(bytes);
  if (f)
    return "";
  return llvm::toString(f.takeError());
}

TEST(SafetensorsParse, ReadsFromMemory) {
  auto f = parse(file(R"({"__metadata__":{"format":"pt"},)"
                      R"("w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                      R"("b":{"dtype":"U8","shape":[],"data_offsets":[8,9]}})",
                      std::string("\x01\x02\x03\x04\x05\x06\x07\x08\x09", 9)));
  ASSERT_TRUE(bool(f)) << llvm::toString(f.takeError());
  const SafetensorsEntry *w = (*f)->lookup("w");
  ASSERT_TRUE(w);
  EXPECT_EQ(w->dtype, "F32");
  EXPECT_EQ(w->data.size(), 8u);
  EXPECT_EQ(w->data[7], 8);
  const SafetensorsEntry *b = (*f)->lookup("b");
  ASSERT_TRUE(b);
  EXPECT_TRUE(b->shape.empty());
  EXPECT_EQ(b->data[0], 9);
  EXPECT_EQ((*f)->entries().size(), 2u);
}

TEST(SafetensorsParse, RejectsShortFilesAndBadHeaders) {
  EXPECT_EQ(errorOf("abc"), "'test.safetensors' is not a valid safetensors "
                            "file: shorter than its 8-byte header length");
  EXPECT_EQ(errorOf(std::string(8, '\xff')),
            "'test.safetensors' is not a valid safetensors file: header "
            "length exceeds the file size");
  EXPECT_NE(errorOf(file("[1]")).find("header is not a JSON object"),
            std::string::npos);
  EXPECT_NE(errorOf(file("{")).find("header is not JSON"), std::string::npos);
  EXPECT_EQ(errorOf(file(R"({"w":{"dtype":"Q9","shape":[1],)"
                         R"("data_offsets":[0,1]}})",
                         "x")),
            "'test.safetensors' is not a valid safetensors file: entry 'w' has "
            "unknown dtype 'Q9'");
  EXPECT_NE(errorOf(file(R"({"w":{"dtype":"U8","shape":[2],)"
                         R"("data_offsets":[0,2]}})",
                         "x"))
                .find("entry 'w' has byte range outside the file"),
            std::string::npos);
}

/// 2^61 F64 elements are 2^64 bytes, which wrapped to 0 and matched an
/// empty byte range: the entry claimed 2^61 elements backed by no bytes.
TEST(SafetensorsParse, RejectsShapesWhoseByteSizeWraps) {
  EXPECT_EQ(errorOf(file(R"({"w":{"dtype":"F64","shape":[2305843009213693952],)"
                         R"("data_offsets":[0,0]}})")),
            "'test.safetensors' is not a valid safetensors file: entry 'w' has "
            "a byte range that does not match its dtype and shape");
  EXPECT_NE(errorOf(file(R"({"w":{"dtype":"F32","shape":[4294967296,)"
                         R"(1073741824],"data_offsets":[0,0]}})"))
                .find("does not match its dtype and shape"),
            std::string::npos);
}

/// llvm::json::parse recurses per nesting level: a header of 100000 '['
/// overflowed the stack. Deep nesting is now an error; brackets inside
/// strings do not count.
TEST(SafetensorsParse, RejectsDeeplyNestedHeaders) {
  for (int depth : {33, 100000}) {
    std::string header =
        "{\"w\":" + std::string(depth, '[') + std::string(depth, ']') + "}";
    EXPECT_EQ(errorOf(file(header)),
              "'test.safetensors' is not a valid safetensors file: header "
              "nests JSON deeper than 32 levels")
        << depth;
  }
  std::string name(1000, '[');
  auto f = parse(file("{\"" + name +
                          "\":{\"dtype\":\"U8\",\"shape\":[1],"
                          "\"data_offsets\":[0,1]}}",
                      "x"));
  ASSERT_TRUE(bool(f)) << llvm::toString(f.takeError());
  EXPECT_TRUE((*f)->lookup(name));
}

} // namespace
