//===- NpyTest.cpp - .npy reader and writer -------------------------------===//

#include "txc/Support/Npy.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <cstring>

using namespace txc;
using ::testing::HasSubstr;

namespace {

class NpyTest : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_FALSE(llvm::sys::fs::createTemporaryFile("npy-test", "npy", path));
  }
  void TearDown() override { llvm::sys::fs::remove(path); }

  /// Writes a file made of the magic, version `major`, `header` (padded as
  /// numpy does) and `data`.
  void writeRaw(const std::string &header, llvm::StringRef data,
                unsigned major = 1) {
    std::string text = header;
    size_t prefix = major == 1 ? 10 : 12;
    while ((prefix + text.size() + 1) % 64)
      text += ' ';
    text += '\n';
    std::string file = "\x93NUMPY";
    file += static_cast<char>(major);
    file += '\0';
    for (size_t i = 0; i < prefix - 8; ++i)
      file += static_cast<char>((text.size() >> (8 * i)) & 0xff);
    file += text;
    file += data.str();
    writeBytes(file);
  }

  void writeBytes(llvm::StringRef bytes) {
    std::error_code ec;
    llvm::raw_fd_ostream out(path, ec);
    ASSERT_FALSE(ec);
    out << bytes;
  }

  /// Reads `path` and expects an error containing `message`.
  void expectError(const std::string &message) {
    llvm::Expected<NpyArray> array = readNpy(path);
    ASSERT_FALSE(bool(array));
    EXPECT_THAT(llvm::toString(array.takeError()), HasSubstr(message));
  }

  llvm::SmallString<128> path;
};

TEST_F(NpyTest, RoundTrips) {
  float values[6] = {1, -2, 3.5f, 4, 5, 6};
  ASSERT_FALSE(
      writeNpy(path, "<f4", {2, 3},
               llvm::ArrayRef<char>(reinterpret_cast<const char *>(values),
                                    sizeof(values))));
  llvm::Expected<NpyArray> array = readNpy(path);
  ASSERT_TRUE(bool(array)) << llvm::toString(array.takeError());
  EXPECT_EQ(array->dtype, "<f4");
  EXPECT_EQ(array->shape, (llvm::SmallVector<int64_t>{2, 3}));
  ASSERT_EQ(array->data.size(), sizeof(values));
  EXPECT_EQ(std::memcmp(array->data.data(), values, sizeof(values)), 0);
  // numpy's layout: the data starts on a 64-byte boundary.
  uint64_t size;
  ASSERT_FALSE(llvm::sys::fs::file_size(path, size));
  EXPECT_EQ((size - sizeof(values)) % 64, 0u);
}

TEST_F(NpyTest, RoundTripsScalarsAndVectors) {
  int64_t scalar = -7;
  ASSERT_FALSE(writeNpy(
      path, "<i8", {},
      llvm::ArrayRef<char>(reinterpret_cast<const char *>(&scalar), 8)));
  llvm::Expected<NpyArray> array = readNpy(path);
  ASSERT_TRUE(bool(array)) << llvm::toString(array.takeError());
  EXPECT_TRUE(array->shape.empty());
  EXPECT_EQ(*reinterpret_cast<const int64_t *>(array->data.data()), -7);

  char flags[3] = {1, 0, 1};
  ASSERT_FALSE(writeNpy(path, "|b1", {3}, flags));
  array = readNpy(path);
  ASSERT_TRUE(bool(array)) << llvm::toString(array.takeError());
  EXPECT_EQ(array->dtype, "|b1");
  EXPECT_EQ(array->shape, (llvm::SmallVector<int64_t>{3}));

  ASSERT_FALSE(writeNpy(path, "<f2", {0, 4}, {}));
  array = readNpy(path);
  ASSERT_TRUE(bool(array)) << llvm::toString(array.takeError());
  EXPECT_EQ(array->data.size(), 0u);
}

TEST_F(NpyTest, ReadsVersion2AndNumpyVariants) {
  int32_t values[2] = {3, 4};
  llvm::StringRef data(reinterpret_cast<const char *>(values), 8);
  writeRaw("{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }", data,
           2);
  llvm::Expected<NpyArray> array = readNpy(path);
  ASSERT_TRUE(bool(array)) << llvm::toString(array.takeError());
  EXPECT_EQ(array->dtype, "<i4");

  // Double quotes, keys in another order, a list for the shape, and a
  // one-byte type with an explicit byte order.
  writeRaw("{\"shape\": [8], \"fortran_order\": False, \"descr\": '<u1'}",
           data);
  array = readNpy(path);
  ASSERT_TRUE(bool(array)) << llvm::toString(array.takeError());
  EXPECT_EQ(array->dtype, "|u1");
  EXPECT_EQ(array->shape, (llvm::SmallVector<int64_t>{8}));
}

TEST_F(NpyTest, CopiesMisalignedData) {
  // A 1-byte-longer header puts the data at an odd offset.
  double value = 2.5;
  std::string header = "{'descr': '<f8', 'fortran_order': False, 'shape': "
                       "(), }";
  while ((10 + header.size() + 1) % 64 != 1)
    header += ' ';
  header += '\n';
  std::string file = "\x93NUMPY\x01";
  file += '\0';
  file += static_cast<char>(header.size() & 0xff);
  file += static_cast<char>(header.size() >> 8);
  file += header;
  file.append(reinterpret_cast<const char *>(&value), 8);
  writeBytes(file);
  llvm::Expected<NpyArray> array = readNpy(path);
  ASSERT_TRUE(bool(array)) << llvm::toString(array.takeError());
  EXPECT_EQ(reinterpret_cast<uintptr_t>(array->data.data()) % 8, 0u);
  EXPECT_EQ(*reinterpret_cast<const double *>(array->data.data()), 2.5);
}

TEST_F(NpyTest, RejectsUnsupportedFiles) {
  writeBytes("PK\x03\x04 a zip file");
  expectError("is not a .npy file (it does not start with \\x93NUMPY)");

  writeRaw("{'descr': '<f4', 'fortran_order': False, 'shape': (), }", "abcd",
           3);
  expectError("has .npy format version 3.0; only versions 1.0 and 2.0 are "
              "read");

  writeRaw("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }",
           std::string(16, '\0'));
  expectError("is in Fortran order; only C order is supported");

  writeRaw("{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }",
           std::string(4, '\0'));
  expectError("holds big-endian data ('>f4'); only little-endian is "
              "supported");

  writeRaw("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }",
           std::string(8, '\0'));
  expectError("has dtype '<c8', which is not supported (supported: <f4, <f8, "
              "<f2, <i8, <i4, <i2, <u2, |i1, |u1, |b1)");

  writeRaw("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': "
           "(1,), }",
           std::string(4, '\0'));
  expectError("has a structured dtype, which is not supported");

  writeRaw("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
           std::string(20, '\0'));
  expectError("is truncated: shape [2, 3] of <f4 needs 24 bytes of data, the "
              "file has 20");

  writeRaw("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }",
           std::string(6, '\0'));
  expectError("has 2 bytes after the data of shape [1] of <f4");

  writeRaw("{'descr': '<f4', 'shape': (1,), }", std::string(4, '\0'));
  expectError("has a malformed header (it needs 'descr', 'fortran_order' and "
              "'shape')");
  writeRaw("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", "");
  expectError("'shape' is not a tuple of non-negative integers");
  writeRaw("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), "
           "'extra': 1}",
           std::string(4, '\0'));
  expectError("unexpected key 'extra'");

  writeBytes(llvm::StringRef("\x93NUMPY\x01\x00\xff\x00{", 11));
  expectError("is truncated inside its header");

  llvm::sys::fs::remove(path);
  expectError("cannot open '");
}

TEST_F(NpyTest, WriterRejectsBadInput) {
  char data[4] = {};
  llvm::Error err = writeNpy(path, "<c8", {1}, data);
  ASSERT_TRUE(bool(err));
  EXPECT_THAT(llvm::toString(std::move(err)),
              HasSubstr("unsupported dtype '<c8'"));
  err = writeNpy(path, "<f4", {2}, data);
  ASSERT_TRUE(bool(err));
  EXPECT_THAT(llvm::toString(std::move(err)),
              HasSubstr("4 bytes do not match shape [2] of <f4"));
}

} // namespace
