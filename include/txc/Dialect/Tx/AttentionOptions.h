//===- AttentionOptions.h - the optional parts of tx.attention --*- C++ -*-===//
//
// tx.attention has three required operands and a mask kind; everything else
// (scale, window and sinks, draft tree, block list, explicit mask, KV
// length) is optional and depends on the kind. AttentionOptions names them
// for the op's builder, so that a creation site sets only what it uses:
//
//   tx::AttentionOptions options;
//   options.mask = tx::MaskKind::sliding_window;
//   options.window = 4096;
//   tx::AttentionOp::create(b, loc, type, q, k, v, options);
//
//===----------------------------------------------------------------------===//

#ifndef TXC_DIALECT_TX_ATTENTIONOPTIONS_H
#define TXC_DIALECT_TX_ATTENTIONOPTIONS_H

#include "txc/Dialect/Tx/TxTypes.h"

#include "mlir/IR/Value.h"

#include <cstdint>
#include <optional>

namespace txc::tx {

/// What a tx.attention has besides its query, key and value; a member left
/// unset (null value, nullopt, null attribute) is absent from the op.
struct AttentionOptions {
  /// Which keys each query may see.
  MaskKind mask = MaskKind::none;
  /// The factor applied to Q K^T; the op's default 1/sqrt(D) when unset.
  std::optional<double> scale;
  /// sliding_window: the window and the number of attention sinks.
  std::optional<int64_t> window;
  std::optional<int64_t> sinks;
  /// tree: the draft tree of the queries.
  TreeAttr tree;
  /// block_sparse: the selected key blocks and the block size.
  mlir::Value blocks;
  std::optional<int64_t> blockSize;
  /// A further mask ([B|1, H|1, Sq|1, Sk], i1 or additive float).
  mlir::Value explicitMask;
  /// The number of valid keys and values (an `index`).
  mlir::Value kvLength;
};

} // namespace txc::tx

#endif // TXC_DIALECT_TX_ATTENTIONOPTIONS_H
