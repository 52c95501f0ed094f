//===- AllocTest.cpp - the buffer allocator of compiled models ------------===//
//
// Large blocks freed by a model come back for the next allocation of the
// same size; the cache is bounded by the most ever live at once.
//
//===----------------------------------------------------------------------===//

#include "gtest/gtest.h"

#include <cstdint>
#include <cstring>

extern "C" void *_mlir_memref_to_llvm_alloc(size_t size);
extern "C" void _mlir_memref_to_llvm_free(void *ptr);

namespace {

void *alloc(size_t size) { return _mlir_memref_to_llvm_alloc(size); }
void release(void *p) { _mlir_memref_to_llvm_free(p); }

TEST(Alloc, AlignedAndWritable) {
  for (size_t size : {size_t(1), size_t(100), size_t(1) << 20}) {
    char *p = static_cast<char *>(alloc(size));
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 64, 0u) << size;
    std::memset(p, 0x5a, size);
    release(p);
  }
  release(nullptr);
}

TEST(Alloc, LargeBlocksAreReusedBySize) {
  // Two buffers live at once (the high-water mark), freed, then the same
  // sizes again: the same blocks come back.
  void *a = alloc(3 << 20), *b = alloc(5 << 20);
  release(a);
  release(b);
  void *b2 = alloc(5 << 20), *a2 = alloc(3 << 20);
  EXPECT_EQ(a2, a);
  EXPECT_EQ(b2, b);
  // A size never freed is a new block.
  void *c = alloc(7 << 20);
  EXPECT_NE(c, a);
  EXPECT_NE(c, b);
  release(a2);
  release(b2);
  release(c);
}

TEST(Alloc, SmallBlocksWork) {
  void *p = alloc(256), *q = alloc(256);
  EXPECT_NE(p, q);
  release(p);
  release(q);
}

} // namespace
