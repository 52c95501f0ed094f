//===- Alloc.cpp - buffer allocation of compiled models -------------------===//
//
// txc lowers memref.alloc/dealloc with finalize-memref-to-llvm's generic
// functions, which this file implements. A model allocates the same
// buffers, of the same sizes, on every run; from the C library they would
// come fresh from the kernel each time (glibc maps large blocks and unmaps
// them on free), so every run paid a page fault per 4 KiB touched. Freed
// large blocks are kept instead and handed out again for the same size.
//
// The cache never holds more than the most the model ever had allocated at
// once (the high-water mark of live large blocks), so the memory a model
// keeps between runs is bounded by what one run needed anyway; when a freed
// block does not fit, the blocks freed longest ago make room.
//
//===----------------------------------------------------------------------===//

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <utility>
#include <vector>

namespace {

/// Blocks from this size on are cached (smaller ones come from the C
/// library's bins without page faults).
constexpr size_t kMinCached = 64 * 1024;
/// Every block starts with a header holding its size; 64 bytes keep the
/// payload 64-byte aligned.
constexpr size_t kHeader = 64;
constexpr size_t kPage = 4096;

struct Cache {
  std::mutex mutex;
  /// (size, block) of the cached blocks, header included, oldest first.
  std::vector<std::pair<size_t, void *>> free;
  size_t cachedBytes = 0;
  size_t liveBytes = 0;
  size_t peakLiveBytes = 0;
};

Cache &cache() {
  static Cache *c = new Cache; // never destroyed: models may run at exit
  return *c;
}

} // namespace

extern "C" {

/// Returns `size` bytes, 64-byte aligned.
__attribute__((visibility("hidden"))) void *
_mlir_memref_to_llvm_alloc(size_t size) {
  size_t total = size + kHeader;
  bool cached = total >= kMinCached;
  if (cached)
    total = (total + kPage - 1) / kPage * kPage;
  void *block = nullptr;
  if (cached) {
    Cache &c = cache();
    std::lock_guard<std::mutex> lock(c.mutex);
    for (size_t i = c.free.size(); i-- > 0;) {
      if (c.free[i].first != total)
        continue;
      block = c.free[i].second;
      c.free.erase(c.free.begin() + i);
      c.cachedBytes -= total;
      break;
    }
    c.liveBytes += total;
    if (c.liveBytes > c.peakLiveBytes)
      c.peakLiveBytes = c.liveBytes;
  }
  if (!block && posix_memalign(&block, kHeader, total) != 0)
    return nullptr;
  *static_cast<size_t *>(block) = total;
  return static_cast<char *>(block) + kHeader;
}

__attribute__((visibility("hidden"))) void
_mlir_memref_to_llvm_free(void *ptr) {
  if (!ptr)
    return;
  void *block = static_cast<char *>(ptr) - kHeader;
  size_t total = *static_cast<size_t *>(block);
  if (total >= kMinCached) {
    Cache &c = cache();
    std::lock_guard<std::mutex> lock(c.mutex);
    c.liveBytes -= total;
    if (total <= c.peakLiveBytes) {
      size_t evict = 0;
      while (c.cachedBytes + total > c.peakLiveBytes) {
        c.cachedBytes -= c.free[evict].first;
        std::free(c.free[evict].second);
        ++evict;
      }
      c.free.erase(c.free.begin(), c.free.begin() + evict);
      c.free.emplace_back(total, block);
      c.cachedBytes += total;
      return;
    }
  }
  std::free(block);
}

} // extern "C"
