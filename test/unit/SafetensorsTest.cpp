//===- SafetensorsTest.cpp - safetensors writer and reader ----------------===//

#include "txc/Support/Safetensors.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include "gtest/gtest.h"

#include <cstring>

using namespace txc;

namespace {

std::string tempPath(const char *name) {
  llvm::SmallString<128> path;
  llvm::sys::fs::createTemporaryFile(name, "safetensors", path);
  return std::string(path);
}

TEST(Safetensors, RoundTripsTensors) {
  SafetensorsWriter writer;
  float w[6] = {1, 2, 3, 4, 5, 6};
  int64_t ids[3] = {7, -8, 9};
  ASSERT_FALSE(writer.add("w", "F32", {2, 3},
                          llvm::ArrayRef<char>(reinterpret_cast<char *>(w),
                                               sizeof(w))));
  ASSERT_FALSE(writer.add("ids", "I64", {3},
                          llvm::ArrayRef<char>(reinterpret_cast<char *>(ids),
                                               sizeof(ids))));
  EXPECT_TRUE(writer.contains("w"));
  std::string path = tempPath("roundtrip");
  ASSERT_FALSE(writer.write(path));

  auto file = SafetensorsFile::open(path);
  ASSERT_TRUE(bool(file)) << llvm::toString(file.takeError());
  const SafetensorsEntry *e = (*file)->lookup("w");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->dtype, "F32");
  EXPECT_EQ(e->shape, (llvm::SmallVector<int64_t>{2, 3}));
  ASSERT_EQ(e->data.size(), sizeof(w));
  EXPECT_EQ(std::memcmp(e->data.data(), w, sizeof(w)), 0);
  // Tensor data is 64-byte aligned in the file.
  const SafetensorsEntry *i = (*file)->lookup("ids");
  ASSERT_TRUE(i);
  EXPECT_EQ(std::memcmp(i->data.data(), ids, sizeof(ids)), 0);
  EXPECT_EQ((*file)->lookup("missing"), nullptr);
  llvm::sys::fs::remove(path);
}

TEST(Safetensors, RoundTripsMetadata) {
  SafetensorsWriter writer;
  float x[2] = {1, 2};
  ASSERT_FALSE(writer.add("x", "F32", {2},
                          llvm::ArrayRef<char>(reinterpret_cast<char *>(x),
                                               sizeof(x))));
  writer.setMetadata("format", "txc-calibration");
  writer.setMetadata("tokens", "12");
  writer.setMetadata("tokens", "13");
  std::string path = tempPath("metadata");
  ASSERT_FALSE(writer.write(path));
  auto file = SafetensorsFile::open(path);
  ASSERT_TRUE(bool(file)) << llvm::toString(file.takeError());
  const llvm::StringMap<std::string> &meta = (*file)->metadata();
  // A key set replaces the default; the other default stays.
  EXPECT_EQ(meta.lookup("format"), "txc-calibration");
  EXPECT_EQ(meta.lookup("producer"), "txc");
  EXPECT_EQ(meta.lookup("tokens"), "13");
  EXPECT_EQ(meta.size(), 3u);
  llvm::sys::fs::remove(path);
}

TEST(Safetensors, WriterRejectsBadInput) {
  SafetensorsWriter writer;
  char bytes[8] = {};
  EXPECT_TRUE(bool(writer.add("x", "F32", {3}, bytes))); // 8 != 12 bytes
  EXPECT_TRUE(bool(writer.add("x", "Q4", {8}, bytes)));  // unknown dtype
  ASSERT_FALSE(writer.add("x", "U8", {8}, bytes));
  llvm::Error dup = writer.add("x", "U8", {8}, bytes);
  ASSERT_TRUE(bool(dup));
  EXPECT_NE(llvm::toString(std::move(dup)).find("duplicate tensor name 'x'"),
            std::string::npos);
}

TEST(Safetensors, ReaderRejectsCorruptFiles) {
  auto writeRaw = [](const std::string &path, llvm::StringRef bytes) {
    std::error_code ec;
    llvm::raw_fd_ostream os(path, ec);
    os << bytes;
  };
  std::string path = tempPath("corrupt");
  // Too short.
  writeRaw(path, "abc");
  auto f1 = SafetensorsFile::open(path);
  ASSERT_FALSE(bool(f1));
  EXPECT_NE(llvm::toString(f1.takeError()).find("shorter than"),
            std::string::npos);
  // Header length past the end.
  writeRaw(path, llvm::StringRef("\xff\x00\x00\x00\x00\x00\x00\x00{}", 10));
  auto f2 = SafetensorsFile::open(path);
  ASSERT_FALSE(bool(f2));
  EXPECT_NE(llvm::toString(f2.takeError()).find("exceeds the file size"),
            std::string::npos);
  // Byte range that does not match the shape.
  std::string header =
      R"({"t":{"dtype":"F32","shape":[4],"data_offsets":[0,8]}})";
  std::string file(8, '\0');
  file[0] = static_cast<char>(header.size());
  file += header;
  file += std::string(8, '\0');
  writeRaw(path, file);
  auto f3 = SafetensorsFile::open(path);
  ASSERT_FALSE(bool(f3));
  EXPECT_NE(llvm::toString(f3.takeError()).find("does not match its dtype"),
            std::string::npos);
  llvm::sys::fs::remove(path);
}

} // namespace
