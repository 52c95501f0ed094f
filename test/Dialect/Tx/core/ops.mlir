// RUN: tx-opt %s | tx-opt | FileCheck %s
// RUN: tx-opt %s --mlir-print-op-generic | tx-opt | FileCheck %s

// Round trip of the core ops: tx.layer / tx.yield, tx.linear, tx.rms_norm,
// tx.layer_norm, tx.rope and tx.embedding (float and quantized tables).

//===----------------------------------------------------------------------===//
// tx.linear
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @linear_bias
// CHECK-SAME: (%[[X:[^:]+]]: tensor<1x16x64xf32>, %[[W:[^:]+]]: tensor<128x64xf32>, %[[B:[^:]+]]: tensor<128xf32>)
func.func @linear_bias(%x: tensor<1x16x64xf32>, %w: tensor<128x64xf32>, %b: tensor<128xf32>) -> tensor<1x16x128xf32> {
  // CHECK: %[[Y:.+]] = tx.linear %[[X]], %[[W]] bias(%[[B]] : tensor<128xf32>) : tensor<1x16x64xf32>, tensor<128x64xf32> -> tensor<1x16x128xf32>
  // CHECK: return %[[Y]]
  %y = tx.linear %x, %w bias(%b : tensor<128xf32>)
      : tensor<1x16x64xf32>, tensor<128x64xf32> -> tensor<1x16x128xf32>
  return %y : tensor<1x16x128xf32>
}

// CHECK-LABEL: func.func @linear_no_bias
// CHECK-SAME: (%[[X:[^:]+]]: tensor<1x16x64xf16>, %[[W:[^:]+]]: tensor<32x64xf16>)
func.func @linear_no_bias(%x: tensor<1x16x64xf16>, %w: tensor<32x64xf16>) -> tensor<1x16x32xf16> {
  // CHECK: tx.linear %[[X]], %[[W]] : tensor<1x16x64xf16>, tensor<32x64xf16> -> tensor<1x16x32xf16>
  %y = tx.linear %x, %w : tensor<1x16x64xf16>, tensor<32x64xf16> -> tensor<1x16x32xf16>
  return %y : tensor<1x16x32xf16>
}

// CHECK-LABEL: func.func @linear_dynamic
func.func @linear_dynamic(%x: tensor<?x?x64xbf16>, %w: tensor<128x64xbf16>, %x2: tensor<?x64xbf16>) -> (tensor<?x?x128xbf16>, tensor<?x128xbf16>) {
  // CHECK: tx.linear %{{.+}}, %{{.+}} : tensor<?x?x64xbf16>, tensor<128x64xbf16> -> tensor<?x?x128xbf16>
  %y = tx.linear %x, %w : tensor<?x?x64xbf16>, tensor<128x64xbf16> -> tensor<?x?x128xbf16>
  // CHECK: tx.linear %{{.+}}, %{{.+}} : tensor<?x64xbf16>, tensor<128x64xbf16> -> tensor<?x128xbf16>
  %y2 = tx.linear %x2, %w : tensor<?x64xbf16>, tensor<128x64xbf16> -> tensor<?x128xbf16>
  return %y, %y2 : tensor<?x?x128xbf16>, tensor<?x128xbf16>
}

//===----------------------------------------------------------------------===//
// tx.rms_norm
//===----------------------------------------------------------------------===//

// The default epsilon (1e-6) is not printed, whether given or not.
// CHECK-LABEL: func.func @rms_norm_default_epsilon
// CHECK-SAME: (%[[X:[^:]+]]: tensor<1x16x64xf32>, %[[G:[^:]+]]: tensor<64xf32>)
func.func @rms_norm_default_epsilon(%x: tensor<1x16x64xf32>, %g: tensor<64xf32>) -> (tensor<1x16x64xf32>, tensor<1x16x64xf32>) {
  // CHECK: tx.rms_norm %[[X]], %[[G]] : tensor<1x16x64xf32>, tensor<64xf32> -> tensor<1x16x64xf32>
  %y = tx.rms_norm %x, %g : tensor<1x16x64xf32>, tensor<64xf32> -> tensor<1x16x64xf32>
  // CHECK-NEXT: tx.rms_norm %[[X]], %[[G]] : tensor<1x16x64xf32>, tensor<64xf32> -> tensor<1x16x64xf32>
  %y2 = tx.rms_norm %x, %g {epsilon = 1.0e-06 : f64} : tensor<1x16x64xf32>, tensor<64xf32> -> tensor<1x16x64xf32>
  return %y, %y2 : tensor<1x16x64xf32>, tensor<1x16x64xf32>
}

// CHECK-LABEL: func.func @rms_norm_epsilon
// CHECK-SAME: (%[[X:[^:]+]]: tensor<2x?x128xf16>, %[[G:[^:]+]]: tensor<128xf16>)
func.func @rms_norm_epsilon(%x: tensor<2x?x128xf16>, %g: tensor<128xf16>) -> tensor<2x?x128xf16> {
  // CHECK: tx.rms_norm %[[X]], %[[G]] {epsilon = 1.000000e-05 : f64} : tensor<2x?x128xf16>, tensor<128xf16> -> tensor<2x?x128xf16>
  %y = tx.rms_norm %x, %g {epsilon = 1.0e-05 : f64} : tensor<2x?x128xf16>, tensor<128xf16> -> tensor<2x?x128xf16>
  return %y : tensor<2x?x128xf16>
}

//===----------------------------------------------------------------------===//
// tx.layer_norm
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @layer_norm_bias
// CHECK-SAME: (%[[X:[^:]+]]: tensor<1x16x64xf32>, %[[G:[^:]+]]: tensor<64xf32>, %[[B:[^:]+]]: tensor<64xf32>)
func.func @layer_norm_bias(%x: tensor<1x16x64xf32>, %g: tensor<64xf32>, %b: tensor<64xf32>) -> tensor<1x16x64xf32> {
  // The default epsilon (1e-5) is not printed.
  // CHECK: tx.layer_norm %[[X]], %[[G]] bias(%[[B]] : tensor<64xf32>) : tensor<1x16x64xf32>, tensor<64xf32> -> tensor<1x16x64xf32>
  %y = tx.layer_norm %x, %g bias(%b : tensor<64xf32>) {epsilon = 1.0e-05 : f64}
      : tensor<1x16x64xf32>, tensor<64xf32> -> tensor<1x16x64xf32>
  return %y : tensor<1x16x64xf32>
}

// CHECK-LABEL: func.func @layer_norm_no_bias
// CHECK-SAME: (%[[X:[^:]+]]: tensor<?x64xf32>, %[[G:[^:]+]]: tensor<64xf32>)
func.func @layer_norm_no_bias(%x: tensor<?x64xf32>, %g: tensor<64xf32>) -> (tensor<?x64xf32>, tensor<?x64xf32>) {
  // CHECK: tx.layer_norm %[[X]], %[[G]] : tensor<?x64xf32>, tensor<64xf32> -> tensor<?x64xf32>
  %y = tx.layer_norm %x, %g : tensor<?x64xf32>, tensor<64xf32> -> tensor<?x64xf32>
  // CHECK-NEXT: tx.layer_norm %[[X]], %[[G]] {epsilon = 1.000000e-03 : f64} : tensor<?x64xf32>, tensor<64xf32> -> tensor<?x64xf32>
  %y2 = tx.layer_norm %x, %g {epsilon = 1.0e-03 : f64} : tensor<?x64xf32>, tensor<64xf32> -> tensor<?x64xf32>
  return %y, %y2 : tensor<?x64xf32>, tensor<?x64xf32>
}

//===----------------------------------------------------------------------===//
// tx.rope
//===----------------------------------------------------------------------===//

// cos/sin [seq, R/2], rotate-half pairing.
// CHECK-LABEL: func.func @rope_rotate_half
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<1x8x16x64xf32>, %[[COS:[^:]+]]: tensor<16x32xf32>, %[[SIN:[^:]+]]: tensor<16x32xf32>)
func.func @rope_rotate_half(%q: tensor<1x8x16x64xf32>, %cos: tensor<16x32xf32>, %sin: tensor<16x32xf32>) -> tensor<1x8x16x64xf32> {
  // CHECK: tx.rope %[[Q]], %[[COS]], %[[SIN]] : tensor<1x8x16x64xf32>, tensor<16x32xf32>, tensor<16x32xf32> -> tensor<1x8x16x64xf32>
  // CHECK-NOT: interleaved
  %y = tx.rope %q, %cos, %sin
      : tensor<1x8x16x64xf32>, tensor<16x32xf32>, tensor<16x32xf32> -> tensor<1x8x16x64xf32>
  return %y : tensor<1x8x16x64xf32>
}

// cos/sin [batch, seq, R/2] (rank 3), interleaved pairing.
// CHECK-LABEL: func.func @rope_batched_interleaved
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<2x8x16x64xf32>, %[[COS:[^:]+]]: tensor<2x16x32xf32>, %[[SIN:[^:]+]]: tensor<2x16x32xf32>)
func.func @rope_batched_interleaved(%q: tensor<2x8x16x64xf32>, %cos: tensor<2x16x32xf32>, %sin: tensor<2x16x32xf32>) -> tensor<2x8x16x64xf32> {
  // CHECK: tx.rope %[[Q]], %[[COS]], %[[SIN]] {interleaved} : tensor<2x8x16x64xf32>, tensor<2x16x32xf32>, tensor<2x16x32xf32> -> tensor<2x8x16x64xf32>
  %y = tx.rope %q, %cos, %sin {interleaved}
      : tensor<2x8x16x64xf32>, tensor<2x16x32xf32>, tensor<2x16x32xf32> -> tensor<2x8x16x64xf32>
  return %y : tensor<2x8x16x64xf32>
}

// Positions [batch, seq] into a [max_position, R/2] table, interleaved.
// CHECK-LABEL: func.func @rope_positions_batched
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<1x8x1x64xf32>, %[[COS:[^:]+]]: tensor<4096x32xf32>, %[[SIN:[^:]+]]: tensor<4096x32xf32>, %[[P:[^:]+]]: tensor<1x1xi64>)
func.func @rope_positions_batched(%q: tensor<1x8x1x64xf32>, %cos: tensor<4096x32xf32>, %sin: tensor<4096x32xf32>, %p: tensor<1x1xi64>) -> tensor<1x8x1x64xf32> {
  // CHECK: tx.rope %[[Q]], %[[COS]], %[[SIN]] positions(%[[P]] : tensor<1x1xi64>) {interleaved} : tensor<1x8x1x64xf32>, tensor<4096x32xf32>, tensor<4096x32xf32> -> tensor<1x8x1x64xf32>
  %y = tx.rope %q, %cos, %sin positions(%p : tensor<1x1xi64>) {interleaved}
      : tensor<1x8x1x64xf32>, tensor<4096x32xf32>, tensor<4096x32xf32> -> tensor<1x8x1x64xf32>
  return %y : tensor<1x8x1x64xf32>
}

// Positions [seq] (i32), rotate-half, partial rotation (R = 32 < head_dim).
// CHECK-LABEL: func.func @rope_positions_partial
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<1x8x16x64xf16>, %[[COS:[^:]+]]: tensor<2048x16xf16>, %[[SIN:[^:]+]]: tensor<2048x16xf16>, %[[P:[^:]+]]: tensor<16xi32>)
func.func @rope_positions_partial(%q: tensor<1x8x16x64xf16>, %cos: tensor<2048x16xf16>, %sin: tensor<2048x16xf16>, %p: tensor<16xi32>) -> tensor<1x8x16x64xf16> {
  // CHECK: tx.rope %[[Q]], %[[COS]], %[[SIN]] positions(%[[P]] : tensor<16xi32>) : tensor<1x8x16x64xf16>, tensor<2048x16xf16>, tensor<2048x16xf16> -> tensor<1x8x16x64xf16>
  // CHECK-NOT: interleaved
  %y = tx.rope %q, %cos, %sin positions(%p : tensor<16xi32>)
      : tensor<1x8x16x64xf16>, tensor<2048x16xf16>, tensor<2048x16xf16> -> tensor<1x8x16x64xf16>
  return %y : tensor<1x8x16x64xf16>
}

// CHECK-LABEL: func.func @rope_dynamic
func.func @rope_dynamic(%q: tensor<?x?x?x128xf32>, %cos: tensor<?x64xf32>, %sin: tensor<?x64xf32>, %p: tensor<?x?xindex>) -> (tensor<?x?x?x128xf32>, tensor<?x?x?x128xf32>) {
  // CHECK: tx.rope %{{.+}}, %{{.+}}, %{{.+}} : tensor<?x?x?x128xf32>, tensor<?x64xf32>, tensor<?x64xf32> -> tensor<?x?x?x128xf32>
  %y = tx.rope %q, %cos, %sin : tensor<?x?x?x128xf32>, tensor<?x64xf32>, tensor<?x64xf32> -> tensor<?x?x?x128xf32>
  // CHECK: tx.rope %{{.+}}, %{{.+}}, %{{.+}} positions(%{{.+}} : tensor<?x?xindex>) : tensor<?x?x?x128xf32>, tensor<?x64xf32>, tensor<?x64xf32> -> tensor<?x?x?x128xf32>
  %y2 = tx.rope %q, %cos, %sin positions(%p : tensor<?x?xindex>) : tensor<?x?x?x128xf32>, tensor<?x64xf32>, tensor<?x64xf32> -> tensor<?x?x?x128xf32>
  return %y, %y2 : tensor<?x?x?x128xf32>, tensor<?x?x?x128xf32>
}

//===----------------------------------------------------------------------===//
// tx.embedding
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @embedding
// CHECK-SAME: (%[[T:[^:]+]]: tensor<32000x64xf32>, %[[IDS:[^:]+]]: tensor<1x16xi64>, %[[IDS2:[^:]+]]: tensor<?xi32>)
func.func @embedding(%table: tensor<32000x64xf32>, %ids: tensor<1x16xi64>, %ids2: tensor<?xi32>) -> (tensor<1x16x64xf32>, tensor<?x64xf32>) {
  // CHECK: tx.embedding %[[T]], %[[IDS]] : tensor<32000x64xf32>, tensor<1x16xi64> -> tensor<1x16x64xf32>
  %h = tx.embedding %table, %ids : tensor<32000x64xf32>, tensor<1x16xi64> -> tensor<1x16x64xf32>
  // CHECK: tx.embedding %[[T]], %[[IDS2]] : tensor<32000x64xf32>, tensor<?xi32> -> tensor<?x64xf32>
  %h2 = tx.embedding %table, %ids2 : tensor<32000x64xf32>, tensor<?xi32> -> tensor<?x64xf32>
  return %h, %h2 : tensor<1x16x64xf32>, tensor<?x64xf32>
}

// A quantized table (!tx.qweight, here a GGUF block format): rows of
// in_features values.
// CHECK-LABEL: func.func @embedding_qweight
// CHECK-SAME: (%[[T:[^:]+]]: !tx.qweight<1000x64, q4_0, group = 32, scale = f16>, %[[IDS:[^:]+]]: tensor<2x8xi64>, %[[IDS2:[^:]+]]: tensor<?xi32>)
func.func @embedding_qweight(%table: !tx.qweight<1000x64, q4_0, group = 32, scale = f16>, %ids: tensor<2x8xi64>, %ids2: tensor<?xi32>)
    -> (tensor<2x8x64xf32>, tensor<?x64xf32>) {
  // CHECK: tx.embedding %[[T]], %[[IDS]] : !tx.qweight<1000x64, q4_0, group = 32, scale = f16>, tensor<2x8xi64> -> tensor<2x8x64xf32>
  %h = tx.embedding %table, %ids : !tx.qweight<1000x64, q4_0, group = 32, scale = f16>, tensor<2x8xi64> -> tensor<2x8x64xf32>
  // CHECK: tx.embedding %[[T]], %[[IDS2]] : !tx.qweight<1000x64, q4_0, group = 32, scale = f16>, tensor<?xi32> -> tensor<?x64xf32>
  %h2 = tx.embedding %table, %ids2 : !tx.qweight<1000x64, q4_0, group = 32, scale = f16>, tensor<?xi32> -> tensor<?x64xf32>
  return %h, %h2 : tensor<2x8x64xf32>, tensor<?x64xf32>
}

//===----------------------------------------------------------------------===//
// tx.layer / tx.yield
//===----------------------------------------------------------------------===//

// One input, one result; the body uses a weight defined outside the layer.
// CHECK-LABEL: func.func @layer_single
// CHECK-SAME: (%[[H:[^:]+]]: tensor<1x16x64xf32>, %[[G:[^:]+]]: tensor<64xf32>)
func.func @layer_single(%h: tensor<1x16x64xf32>, %g: tensor<64xf32>) -> tensor<1x16x64xf32> {
  // CHECK: %[[R:.+]] = tx.layer 0 (%[[H]]) : (tensor<1x16x64xf32>) -> tensor<1x16x64xf32> {
  // CHECK-NEXT: ^bb0(%[[A:.+]]: tensor<1x16x64xf32>):
  // CHECK-NEXT: %[[N:.+]] = tx.rms_norm %[[A]], %[[G]] : tensor<1x16x64xf32>, tensor<64xf32> -> tensor<1x16x64xf32>
  // CHECK-NEXT: %[[S:.+]] = arith.addf %[[A]], %[[N]] : tensor<1x16x64xf32>
  // CHECK-NEXT: tx.yield %[[S]] : tensor<1x16x64xf32>
  // CHECK-NEXT: }
  // CHECK-NEXT: return %[[R]]
  %r = tx.layer 0 (%h) : (tensor<1x16x64xf32>) -> tensor<1x16x64xf32> {
  ^bb0(%x: tensor<1x16x64xf32>):
    %n = tx.rms_norm %x, %g : tensor<1x16x64xf32>, tensor<64xf32> -> tensor<1x16x64xf32>
    %s = arith.addf %x, %n : tensor<1x16x64xf32>
    tx.yield %s : tensor<1x16x64xf32>
  }
  return %r : tensor<1x16x64xf32>
}

// Several inputs (residual stream, positions, a mask) and several results,
// with a full attention block nested inside.
// CHECK-LABEL: func.func @layer_multi
// CHECK-SAME: (%[[H:[^:]+]]: tensor<1x4x32xf32>, %[[POS:[^:]+]]: tensor<1x4xi64>, %[[M:[^:]+]]: tensor<1x1x4x4xi1>,
func.func @layer_multi(%h: tensor<1x4x32xf32>, %pos: tensor<1x4xi64>, %mask: tensor<1x1x4x4xi1>,
                       %g: tensor<32xf32>, %wq: tensor<32x32xf32>, %wkv: tensor<16x32xf32>,
                       %cos: tensor<128x4xf32>, %sin: tensor<128x4xf32>)
    -> (tensor<1x4x32xf32>, tensor<1x4xi64>, tensor<1x4x4x8xf32>) {
  // CHECK: %[[R:.+]]:3 = tx.layer 3 (%[[H]], %[[POS]], %[[M]]) : (tensor<1x4x32xf32>, tensor<1x4xi64>, tensor<1x1x4x4xi1>) -> (tensor<1x4x32xf32>, tensor<1x4xi64>, tensor<1x4x4x8xf32>) {
  // CHECK-NEXT: ^bb0(%[[X:[^:]+]]: tensor<1x4x32xf32>, %[[P:[^:]+]]: tensor<1x4xi64>, %[[MM:[^:]+]]: tensor<1x1x4x4xi1>):
  // CHECK: tx.rms_norm %[[X]]
  // CHECK: tx.linear
  // CHECK: tx.linear
  // CHECK: tensor.expand_shape
  // CHECK: tx.rope %{{.+}}, %{{.+}}, %{{.+}} positions(%[[P]] : tensor<1x4xi64>)
  // CHECK: %[[O:.+]] = tx.attention %{{.+}}, %{{.+}}, %{{.+}} mask(causal) explicit_mask(%[[MM]] : tensor<1x1x4x4xi1>) : tensor<1x4x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x4x4x8xf32>
  // CHECK: %[[Y:.+]] = arith.addf %[[X]], %{{.+}} : tensor<1x4x32xf32>
  // CHECK-NEXT: tx.yield %[[Y]], %[[P]], %[[O]] : tensor<1x4x32xf32>, tensor<1x4xi64>, tensor<1x4x4x8xf32>
  // CHECK-NEXT: }
  // CHECK-NEXT: return %[[R]]#0, %[[R]]#1, %[[R]]#2
  %r:3 = tx.layer 3 (%h, %pos, %mask) : (tensor<1x4x32xf32>, tensor<1x4xi64>, tensor<1x1x4x4xi1>)
      -> (tensor<1x4x32xf32>, tensor<1x4xi64>, tensor<1x4x4x8xf32>) {
  ^bb0(%x: tensor<1x4x32xf32>, %p: tensor<1x4xi64>, %m: tensor<1x1x4x4xi1>):
    %n = tx.rms_norm %x, %g : tensor<1x4x32xf32>, tensor<32xf32> -> tensor<1x4x32xf32>
    %q = tx.linear %n, %wq : tensor<1x4x32xf32>, tensor<32x32xf32> -> tensor<1x4x32xf32>
    %k = tx.linear %n, %wkv : tensor<1x4x32xf32>, tensor<16x32xf32> -> tensor<1x4x16xf32>
    %q4 = tensor.expand_shape %q [[0], [1], [2, 3]] output_shape [1, 4, 4, 8]
        : tensor<1x4x32xf32> into tensor<1x4x4x8xf32>
    %qh = tensor.empty() : tensor<1x4x4x8xf32>
    %qt = linalg.transpose ins(%q4 : tensor<1x4x4x8xf32>) outs(%qh : tensor<1x4x4x8xf32>) permutation = [0, 2, 1, 3]
    %k4 = tensor.expand_shape %k [[0], [1], [2, 3]] output_shape [1, 4, 2, 8]
        : tensor<1x4x16xf32> into tensor<1x4x2x8xf32>
    %kh = tensor.empty() : tensor<1x2x4x8xf32>
    %kt = linalg.transpose ins(%k4 : tensor<1x4x2x8xf32>) outs(%kh : tensor<1x2x4x8xf32>) permutation = [0, 2, 1, 3]
    %qr = tx.rope %qt, %cos, %sin positions(%p : tensor<1x4xi64>)
        : tensor<1x4x4x8xf32>, tensor<128x4xf32>, tensor<128x4xf32> -> tensor<1x4x4x8xf32>
    %o = tx.attention %qr, %kt, %kt mask(causal) explicit_mask(%m : tensor<1x1x4x4xi1>)
        : tensor<1x4x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x4x4x8xf32>
    %ot = tensor.empty() : tensor<1x4x4x8xf32>
    %o2 = linalg.transpose ins(%o : tensor<1x4x4x8xf32>) outs(%ot : tensor<1x4x4x8xf32>) permutation = [0, 2, 1, 3]
    %o3 = tensor.collapse_shape %o2 [[0], [1], [2, 3]] : tensor<1x4x4x8xf32> into tensor<1x4x32xf32>
    %y = arith.addf %x, %o3 : tensor<1x4x32xf32>
    tx.yield %y, %p, %o : tensor<1x4x32xf32>, tensor<1x4xi64>, tensor<1x4x4x8xf32>
  }
  return %r#0, %r#1, %r#2 : tensor<1x4x32xf32>, tensor<1x4xi64>, tensor<1x4x4x8xf32>
}

// A layer with neither inputs nor results (e.g. one that only writes the KV
// cache) prints an empty operand list and an empty yield.
// CHECK-LABEL: func.func @layer_no_io
func.func @layer_no_io() {
  // CHECK: tx.layer 0 () : () -> () {
  // CHECK-NEXT: tx.yield{{$}}
  // CHECK-NEXT: }
  tx.layer 0 () : () -> () {
    tx.yield
  }
  return
}

// A stack of layers: indices are kept and each layer consumes the previous
// layer's result.
// CHECK-LABEL: func.func @layer_stack
// CHECK-SAME: (%[[H:[^:]+]]: tensor<1x16x64xf32>
func.func @layer_stack(%h: tensor<1x16x64xf32>, %g: tensor<64xf32>) -> tensor<1x16x64xf32> {
  // CHECK: %[[L0:.+]] = tx.layer 0 (%[[H]])
  // CHECK: %[[L1:.+]] = tx.layer 1 (%[[L0]])
  // CHECK: %[[L2:.+]] = tx.layer 7 (%[[L1]])
  // CHECK: return %[[L2]]
  %0 = tx.layer 0 (%h) : (tensor<1x16x64xf32>) -> tensor<1x16x64xf32> {
  ^bb0(%x: tensor<1x16x64xf32>):
    %n = tx.rms_norm %x, %g : tensor<1x16x64xf32>, tensor<64xf32> -> tensor<1x16x64xf32>
    tx.yield %n : tensor<1x16x64xf32>
  }
  %1 = tx.layer 1 (%0) : (tensor<1x16x64xf32>) -> tensor<1x16x64xf32> {
  ^bb0(%x: tensor<1x16x64xf32>):
    tx.yield %x : tensor<1x16x64xf32>
  }
  %2 = tx.layer 7 (%1) {note = "kept"} : (tensor<1x16x64xf32>) -> tensor<1x16x64xf32> {
  ^bb0(%x: tensor<1x16x64xf32>):
    %n = tx.layer_norm %x, %g : tensor<1x16x64xf32>, tensor<64xf32> -> tensor<1x16x64xf32>
    tx.yield %n : tensor<1x16x64xf32>
  }
  return %2 : tensor<1x16x64xf32>
}

// A discardable attribute on tx.layer survives the round trip.
// CHECK-LABEL: func.func @layer_attr
func.func @layer_attr(%h: tensor<4xf32>) -> tensor<4xf32> {
  // CHECK: tx.layer 2 (%{{.+}}) {note = "kept"} : (tensor<4xf32>) -> tensor<4xf32> {
  %0 = tx.layer 2 (%h) {note = "kept"} : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%x: tensor<4xf32>):
    tx.yield %x : tensor<4xf32>
  }
  return %0 : tensor<4xf32>
}

// CHECK-LABEL: func.func @weights
// CHECK: %[[W:.+]] = tx.weight "model.layers.0.q_proj.weight" : tensor<64x64xf32>
// CHECK: tx.weight "embed" : tensor<128x64xbf16>
func.func @weights() -> (tensor<64x64xf32>, tensor<128x64xbf16>) {
  %w = tx.weight "model.layers.0.q_proj.weight" : tensor<64x64xf32>
  %e = tx.weight "embed" : tensor<128x64xbf16>
  return %w, %e : tensor<64x64xf32>, tensor<128x64xbf16>
}
