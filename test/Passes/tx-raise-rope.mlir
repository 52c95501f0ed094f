// RUN: tx-opt %s --split-input-file --tx-raise-rope | FileCheck %s
// RUN: tx-opt %s --split-input-file --tx-raise-rope --verify-diagnostics -o /dev/null

// x * cos + rotate(x) * sin on [B, H, S, D] tensors raises to tx.rope with
// one copy of the duplicated cos/sin values; near misses stay decomposed and
// say why in a remark.

// Llama (torch export) with the tables computed at run time:
// cos(concat(freqs, freqs)) of shape [1, S, D], unit-reshaped to [S, D] and
// broadcast over batch and heads. The tables are the first halves, sliced and
// collapsed to [S, D/2].
// CHECK-LABEL: func.func @rotate_half_runtime
// CHECK-SAME: (%[[X:[^:]+]]: tensor<2x2x4x8xf32>, %[[F:[^:]+]]: tensor<1x4x4xf32>)
// CHECK-DAG: %[[CAT:.+]] = tensor.concat dim(2) %[[F]], %[[F]]
// CHECK-DAG: %[[COS:.+]] = math.cos %[[CAT]]
// CHECK-DAG: %[[SIN:.+]] = math.sin %[[CAT]]
// CHECK-DAG: %[[CS:.+]] = tensor.extract_slice %[[COS]][0, 0, 0] [1, 4, 4] [1, 1, 1] : tensor<1x4x8xf32> to tensor<1x4x4xf32>
// CHECK-DAG: %[[CT:.+]] = tensor.collapse_shape %[[CS]] {{\[}}[0, 1], [2]] : tensor<1x4x4xf32> into tensor<4x4xf32>
// CHECK-DAG: %[[SS:.+]] = tensor.extract_slice %[[SIN]][0, 0, 0] [1, 4, 4] [1, 1, 1] : tensor<1x4x8xf32> to tensor<1x4x4xf32>
// CHECK-DAG: %[[ST:.+]] = tensor.collapse_shape %[[SS]] {{\[}}[0, 1], [2]] : tensor<1x4x4xf32> into tensor<4x4xf32>
// CHECK: %[[R:.+]] = tx.rope %[[X]], %[[CT]], %[[ST]] : tensor<2x2x4x8xf32>, tensor<4x4xf32>, tensor<4x4xf32> -> tensor<2x2x4x8xf32>
// CHECK-NEXT: return %[[R]]
func.func @rotate_half_runtime(%x: tensor<2x2x4x8xf32>, %freqs: tensor<1x4x4xf32>) -> tensor<2x2x4x8xf32> {
  %emb = tensor.concat dim(2) %freqs, %freqs : (tensor<1x4x4xf32>, tensor<1x4x4xf32>) -> tensor<1x4x8xf32>
  %cos = math.cos %emb : tensor<1x4x8xf32>
  %sin = math.sin %emb : tensor<1x4x8xf32>
  %cc = tensor.collapse_shape %cos [[0, 1], [2]] : tensor<1x4x8xf32> into tensor<4x8xf32>
  %e0 = tensor.empty() : tensor<2x2x4x8xf32>
  %cb = linalg.broadcast ins(%cc : tensor<4x8xf32>) outs(%e0 : tensor<2x2x4x8xf32>) dimensions = [0, 1]
  %xc = arith.mulf %x, %cb : tensor<2x2x4x8xf32>
  %x1 = tensor.extract_slice %x[0, 0, 0, 0] [2, 2, 4, 4] [1, 1, 1, 1] : tensor<2x2x4x8xf32> to tensor<2x2x4x4xf32>
  %x2 = tensor.extract_slice %x[0, 0, 0, 4] [2, 2, 4, 4] [1, 1, 1, 1] : tensor<2x2x4x8xf32> to tensor<2x2x4x4xf32>
  %n = arith.negf %x2 : tensor<2x2x4x4xf32>
  %rot = tensor.concat dim(3) %n, %x1 : (tensor<2x2x4x4xf32>, tensor<2x2x4x4xf32>) -> tensor<2x2x4x8xf32>
  %sc = tensor.collapse_shape %sin [[0, 1], [2]] : tensor<1x4x8xf32> into tensor<4x8xf32>
  %e1 = tensor.empty() : tensor<2x2x4x8xf32>
  %sb = linalg.broadcast ins(%sc : tensor<4x8xf32>) outs(%e1 : tensor<2x2x4x8xf32>) dimensions = [0, 1]
  %xs = arith.mulf %rot, %sb : tensor<2x2x4x8xf32>
  %y = arith.addf %xc, %xs : tensor<2x2x4x8xf32>
  return %y : tensor<2x2x4x8xf32>
}

// -----

// A dynamic sequence length: the tables are sliced with the run-time size.
// CHECK-LABEL: func.func @rotate_half_dynamic
// CHECK-SAME: (%[[X:[^:]+]]: tensor<1x2x?x8xf32>, %[[F:[^:]+]]: tensor<1x?x4xf32>)
// CHECK-DAG: %[[COS:.+]] = math.cos
// CHECK-DAG: %[[SIN:.+]] = math.sin
// CHECK-DAG: %[[D0:.+]] = tensor.dim %[[COS]], %{{.+}} : tensor<1x?x8xf32>
// CHECK-DAG: %[[CS:.+]] = tensor.extract_slice %[[COS]][0, 0, 0] [1, %[[D0]], 4] [1, 1, 1] : tensor<1x?x8xf32> to tensor<1x?x4xf32>
// CHECK-DAG: %[[CT:.+]] = tensor.collapse_shape %[[CS]] {{\[}}[0, 1], [2]] : tensor<1x?x4xf32> into tensor<?x4xf32>
// CHECK-DAG: %[[D1:.+]] = tensor.dim %[[SIN]], %{{.+}} : tensor<1x?x8xf32>
// CHECK-DAG: %[[SS:.+]] = tensor.extract_slice %[[SIN]][0, 0, 0] [1, %[[D1]], 4] [1, 1, 1] : tensor<1x?x8xf32> to tensor<1x?x4xf32>
// CHECK-DAG: %[[ST:.+]] = tensor.collapse_shape %[[SS]] {{\[}}[0, 1], [2]] : tensor<1x?x4xf32> into tensor<?x4xf32>
// CHECK: %[[R:.+]] = tx.rope %[[X]], %[[CT]], %[[ST]] : tensor<1x2x?x8xf32>, tensor<?x4xf32>, tensor<?x4xf32> -> tensor<1x2x?x8xf32>
// CHECK-NEXT: return %[[R]]
func.func @rotate_half_dynamic(%x: tensor<1x2x?x8xf32>, %freqs: tensor<1x?x4xf32>) -> tensor<1x2x?x8xf32> {
  %c2 = arith.constant 2 : index
  %s = tensor.dim %x, %c2 : tensor<1x2x?x8xf32>
  %emb = tensor.concat dim(2) %freqs, %freqs : (tensor<1x?x4xf32>, tensor<1x?x4xf32>) -> tensor<1x?x8xf32>
  %cos = math.cos %emb : tensor<1x?x8xf32>
  %sin = math.sin %emb : tensor<1x?x8xf32>
  %e0 = tensor.empty(%s) : tensor<1x2x?x8xf32>
  %cb = linalg.broadcast ins(%cos : tensor<1x?x8xf32>) outs(%e0 : tensor<1x2x?x8xf32>) dimensions = [1]
  %xc = arith.mulf %x, %cb : tensor<1x2x?x8xf32>
  %x1 = tensor.extract_slice %x[0, 0, 0, 0] [1, 2, %s, 4] [1, 1, 1, 1] : tensor<1x2x?x8xf32> to tensor<1x2x?x4xf32>
  %x2 = tensor.extract_slice %x[0, 0, 0, 4] [1, 2, %s, 4] [1, 1, 1, 1] : tensor<1x2x?x8xf32> to tensor<1x2x?x4xf32>
  %n = arith.negf %x2 : tensor<1x2x?x4xf32>
  %rot = tensor.concat dim(3) %n, %x1 : (tensor<1x2x?x4xf32>, tensor<1x2x?x4xf32>) -> tensor<1x2x?x8xf32>
  %e1 = tensor.empty(%s) : tensor<1x2x?x8xf32>
  %sb = linalg.broadcast ins(%sin : tensor<1x?x8xf32>) outs(%e1 : tensor<1x2x?x8xf32>) dimensions = [1]
  %xs = arith.mulf %rot, %sb : tensor<1x2x?x8xf32>
  %y = arith.addf %xc, %xs : tensor<1x2x?x8xf32>
  return %y : tensor<1x2x?x8xf32>
}

// -----

// Constant [S, D] tables with equal halves become new [S, D/2] constants
// holding the first halves. Operands in the other order.
// CHECK-LABEL: func.func @rotate_half_constant
// CHECK-SAME: (%[[X:[^:]+]]: tensor<1x1x2x4xf32>)
// CHECK-DAG: %[[COS:.+]] = arith.constant dense<{{\[}}[1.000000e+00, 5.000000e-01], [2.500000e-01, -1.000000e+00]]> : tensor<2x2xf32>
// CHECK-DAG: %[[SIN:.+]] = arith.constant dense<{{\[}}[0.000000e+00, 7.500000e-01], [1.250000e-01, 2.000000e+00]]> : tensor<2x2xf32>
// CHECK: %[[R:.+]] = tx.rope %[[X]], %[[COS]], %[[SIN]] : tensor<1x1x2x4xf32>, tensor<2x2xf32>, tensor<2x2xf32> -> tensor<1x1x2x4xf32>
// CHECK-NEXT: return %[[R]]
func.func @rotate_half_constant(%x: tensor<1x1x2x4xf32>) -> tensor<1x1x2x4xf32> {
  %cos = arith.constant dense<[[1.0, 0.5, 1.0, 0.5], [0.25, -1.0, 0.25, -1.0]]> : tensor<2x4xf32>
  %sin = arith.constant dense<[[0.0, 0.75, 0.0, 0.75], [0.125, 2.0, 0.125, 2.0]]> : tensor<2x4xf32>
  %e0 = tensor.empty() : tensor<1x1x2x4xf32>
  %cb = linalg.broadcast ins(%cos : tensor<2x4xf32>) outs(%e0 : tensor<1x1x2x4xf32>) dimensions = [0, 1]
  %xc = arith.mulf %cb, %x : tensor<1x1x2x4xf32>
  %x1 = tensor.extract_slice %x[0, 0, 0, 0] [1, 1, 2, 2] [1, 1, 1, 1] : tensor<1x1x2x4xf32> to tensor<1x1x2x2xf32>
  %x2 = tensor.extract_slice %x[0, 0, 0, 2] [1, 1, 2, 2] [1, 1, 1, 1] : tensor<1x1x2x4xf32> to tensor<1x1x2x2xf32>
  %n = arith.negf %x2 : tensor<1x1x2x2xf32>
  %rot = tensor.concat dim(3) %n, %x1 : (tensor<1x1x2x2xf32>, tensor<1x1x2x2xf32>) -> tensor<1x1x2x4xf32>
  %e1 = tensor.empty() : tensor<1x1x2x4xf32>
  %sb = linalg.broadcast ins(%sin : tensor<2x4xf32>) outs(%e1 : tensor<1x1x2x4xf32>) dimensions = [0, 1]
  %xs = arith.mulf %sb, %rot : tensor<1x1x2x4xf32>
  %y = arith.addf %xs, %xc : tensor<1x1x2x4xf32>
  return %y : tensor<1x1x2x4xf32>
}

// -----

// Per-batch run-time tables [B, S, D] (unsqueezed to [B, 1, S, D]) become
// [B, S, D/2] tables.
// CHECK-LABEL: func.func @rotate_half_batched
// CHECK-SAME: (%[[X:[^:]+]]: tensor<2x3x4x8xf32>, %[[F:[^:]+]]: tensor<2x4x4xf32>)
// CHECK-DAG: %[[CS:.+]] = tensor.extract_slice %{{.+}}[0, 0, 0] [2, 4, 4] [1, 1, 1] : tensor<2x4x8xf32> to tensor<2x4x4xf32>
// CHECK-DAG: %[[SS:.+]] = tensor.extract_slice %{{.+}}[0, 0, 0] [2, 4, 4] [1, 1, 1] : tensor<2x4x8xf32> to tensor<2x4x4xf32>
// CHECK: %[[R:.+]] = tx.rope %[[X]], %[[CS]], %[[SS]] : tensor<2x3x4x8xf32>, tensor<2x4x4xf32>, tensor<2x4x4xf32> -> tensor<2x3x4x8xf32>
// CHECK-NEXT: return %[[R]]
func.func @rotate_half_batched(%x: tensor<2x3x4x8xf32>, %freqs: tensor<2x4x4xf32>) -> tensor<2x3x4x8xf32> {
  %emb = tensor.concat dim(2) %freqs, %freqs : (tensor<2x4x4xf32>, tensor<2x4x4xf32>) -> tensor<2x4x8xf32>
  %cos = math.cos %emb : tensor<2x4x8xf32>
  %sin = math.sin %emb : tensor<2x4x8xf32>
  %ce = tensor.expand_shape %cos [[0, 1], [2], [3]] output_shape [2, 1, 4, 8] : tensor<2x4x8xf32> into tensor<2x1x4x8xf32>
  %cc = tensor.collapse_shape %ce [[0, 1], [2], [3]] : tensor<2x1x4x8xf32> into tensor<2x4x8xf32>
  %e0 = tensor.empty() : tensor<2x3x4x8xf32>
  %cb = linalg.broadcast ins(%cc : tensor<2x4x8xf32>) outs(%e0 : tensor<2x3x4x8xf32>) dimensions = [1]
  %xc = arith.mulf %x, %cb : tensor<2x3x4x8xf32>
  %x1 = tensor.extract_slice %x[0, 0, 0, 0] [2, 3, 4, 4] [1, 1, 1, 1] : tensor<2x3x4x8xf32> to tensor<2x3x4x4xf32>
  %x2 = tensor.extract_slice %x[0, 0, 0, 4] [2, 3, 4, 4] [1, 1, 1, 1] : tensor<2x3x4x8xf32> to tensor<2x3x4x4xf32>
  %n = arith.negf %x2 : tensor<2x3x4x4xf32>
  %rot = tensor.concat dim(3) %n, %x1 : (tensor<2x3x4x4xf32>, tensor<2x3x4x4xf32>) -> tensor<2x3x4x8xf32>
  %e1 = tensor.empty() : tensor<2x3x4x8xf32>
  %sb = linalg.broadcast ins(%sin : tensor<2x4x8xf32>) outs(%e1 : tensor<2x3x4x8xf32>) dimensions = [1]
  %xs = arith.mulf %rot, %sb : tensor<2x3x4x8xf32>
  %y = arith.addf %xc, %xs : tensor<2x3x4x8xf32>
  return %y : tensor<2x3x4x8xf32>
}

// -----

// Tables gathered by position ids (cos_cached[position_ids]): [P, D/2]
// constant tables with the ids as positions.
// CHECK-LABEL: func.func @rotate_half_positions
// CHECK-SAME: (%[[X:[^:]+]]: tensor<1x2x2x4xf32>, %[[IDS:[^:]+]]: tensor<1x2xi64>)
// CHECK-DAG: %[[COS:.+]] = arith.constant dense<{{\[}}[1.000000e+00, 1.000000e+00], [5.000000e-01, 2.500000e-01], [-1.000000e+00, 0.000000e+00]]> : tensor<3x2xf32>
// CHECK-DAG: %[[SIN:.+]] = arith.constant dense<{{\[}}[0.000000e+00, 0.000000e+00], [7.500000e-01, 1.250000e-01], [2.000000e+00, 3.000000e+00]]> : tensor<3x2xf32>
// CHECK-DAG: %[[P:.+]] = tensor.collapse_shape %[[IDS]] {{\[}}[0, 1]] : tensor<1x2xi64> into tensor<2xi64>
// CHECK: %[[R:.+]] = tx.rope %[[X]], %[[COS]], %[[SIN]] positions(%[[P]] : tensor<2xi64>) : tensor<1x2x2x4xf32>, tensor<3x2xf32>, tensor<3x2xf32> -> tensor<1x2x2x4xf32>
// CHECK-NEXT: return %[[R]]
func.func @rotate_half_positions(%x: tensor<1x2x2x4xf32>, %ids: tensor<1x2xi64>) -> tensor<1x2x2x4xf32> {
  %cos_cached = arith.constant dense<[[1.0, 1.0, 1.0, 1.0], [0.5, 0.25, 0.5, 0.25], [-1.0, 0.0, -1.0, 0.0]]> : tensor<3x4xf32>
  %sin_cached = arith.constant dense<[[0.0, 0.0, 0.0, 0.0], [0.75, 0.125, 0.75, 0.125], [2.0, 3.0, 2.0, 3.0]]> : tensor<3x4xf32>
  %cos = tx.embedding %cos_cached, %ids : tensor<3x4xf32>, tensor<1x2xi64> -> tensor<1x2x4xf32>
  %sin = tx.embedding %sin_cached, %ids : tensor<3x4xf32>, tensor<1x2xi64> -> tensor<1x2x4xf32>
  %cc = tensor.collapse_shape %cos [[0, 1], [2]] : tensor<1x2x4xf32> into tensor<2x4xf32>
  %e0 = tensor.empty() : tensor<1x2x2x4xf32>
  %cb = linalg.broadcast ins(%cc : tensor<2x4xf32>) outs(%e0 : tensor<1x2x2x4xf32>) dimensions = [0, 1]
  %xc = arith.mulf %x, %cb : tensor<1x2x2x4xf32>
  %x1 = tensor.extract_slice %x[0, 0, 0, 0] [1, 2, 2, 2] [1, 1, 1, 1] : tensor<1x2x2x4xf32> to tensor<1x2x2x2xf32>
  %x2 = tensor.extract_slice %x[0, 0, 0, 2] [1, 2, 2, 2] [1, 1, 1, 1] : tensor<1x2x2x4xf32> to tensor<1x2x2x2xf32>
  %n = arith.negf %x2 : tensor<1x2x2x2xf32>
  %rot = tensor.concat dim(3) %n, %x1 : (tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>) -> tensor<1x2x2x4xf32>
  %sc = tensor.collapse_shape %sin [[0, 1], [2]] : tensor<1x2x4xf32> into tensor<2x4xf32>
  %e1 = tensor.empty() : tensor<1x2x2x4xf32>
  %sb = linalg.broadcast ins(%sc : tensor<2x4xf32>) outs(%e1 : tensor<1x2x2x4xf32>) dimensions = [0, 1]
  %xs = arith.mulf %rot, %sb : tensor<1x2x2x4xf32>
  %y = arith.addf %xc, %xs : tensor<1x2x2x4xf32>
  return %y : tensor<1x2x2x4xf32>
}

// -----

// Partial rotary embedding (Phi): the first R = 4 of D = 8 channels are
// rotated and concatenated with the other 4: one tx.rope on x with [S, R/2]
// tables.
// CHECK-LABEL: func.func @partial_rotary
// CHECK-SAME: (%[[X:[^:]+]]: tensor<1x1x2x8xf32>)
// CHECK-DAG: %[[COS:.+]] = arith.constant dense<{{\[}}[1.000000e+00, 5.000000e-01], [2.500000e-01, -1.000000e+00]]> : tensor<2x2xf32>
// CHECK-DAG: %[[SIN:.+]] = arith.constant dense<{{\[}}[0.000000e+00, 7.500000e-01], [1.250000e-01, 2.000000e+00]]> : tensor<2x2xf32>
// CHECK: %[[R:.+]] = tx.rope %[[X]], %[[COS]], %[[SIN]] : tensor<1x1x2x8xf32>, tensor<2x2xf32>, tensor<2x2xf32> -> tensor<1x1x2x8xf32>
// CHECK-NEXT: return %[[R]]
func.func @partial_rotary(%x: tensor<1x1x2x8xf32>) -> tensor<1x1x2x8xf32> {
  %cos = arith.constant dense<[[1.0, 0.5, 1.0, 0.5], [0.25, -1.0, 0.25, -1.0]]> : tensor<2x4xf32>
  %sin = arith.constant dense<[[0.0, 0.75, 0.0, 0.75], [0.125, 2.0, 0.125, 2.0]]> : tensor<2x4xf32>
  %xr = tensor.extract_slice %x[0, 0, 0, 0] [1, 1, 2, 4] [1, 1, 1, 1] : tensor<1x1x2x8xf32> to tensor<1x1x2x4xf32>
  %xp = tensor.extract_slice %x[0, 0, 0, 4] [1, 1, 2, 4] [1, 1, 1, 1] : tensor<1x1x2x8xf32> to tensor<1x1x2x4xf32>
  %e0 = tensor.empty() : tensor<1x1x2x4xf32>
  %cb = linalg.broadcast ins(%cos : tensor<2x4xf32>) outs(%e0 : tensor<1x1x2x4xf32>) dimensions = [0, 1]
  %xc = arith.mulf %xr, %cb : tensor<1x1x2x4xf32>
  %x1 = tensor.extract_slice %xr[0, 0, 0, 0] [1, 1, 2, 2] [1, 1, 1, 1] : tensor<1x1x2x4xf32> to tensor<1x1x2x2xf32>
  %x2 = tensor.extract_slice %xr[0, 0, 0, 2] [1, 1, 2, 2] [1, 1, 1, 1] : tensor<1x1x2x4xf32> to tensor<1x1x2x2xf32>
  %n = arith.negf %x2 : tensor<1x1x2x2xf32>
  %rot = tensor.concat dim(3) %n, %x1 : (tensor<1x1x2x2xf32>, tensor<1x1x2x2xf32>) -> tensor<1x1x2x4xf32>
  %e1 = tensor.empty() : tensor<1x1x2x4xf32>
  %sb = linalg.broadcast ins(%sin : tensor<2x4xf32>) outs(%e1 : tensor<1x1x2x4xf32>) dimensions = [0, 1]
  %xs = arith.mulf %rot, %sb : tensor<1x1x2x4xf32>
  %yr = arith.addf %xc, %xs : tensor<1x1x2x4xf32>
  %y = tensor.concat dim(3) %yr, %xp : (tensor<1x1x2x4xf32>, tensor<1x1x2x4xf32>) -> tensor<1x1x2x8xf32>
  return %y : tensor<1x1x2x8xf32>
}

// -----

// GPT-J interleaved rotation: stack(-x[..., 1::2], x[..., ::2]) flattened,
// with tables repeating each value twice in a row (repeat_interleave). The
// tables keep the even elements.
// CHECK-LABEL: func.func @interleaved_constant
// CHECK-SAME: (%[[X:[^:]+]]: tensor<1x1x2x4xf32>)
// CHECK-DAG: %[[COS:.+]] = arith.constant dense<{{\[}}[1.000000e+00, 5.000000e-01], [2.500000e-01, -1.000000e+00]]> : tensor<2x2xf32>
// CHECK-DAG: %[[SIN:.+]] = arith.constant dense<{{\[}}[0.000000e+00, 7.500000e-01], [1.250000e-01, 2.000000e+00]]> : tensor<2x2xf32>
// CHECK: %[[R:.+]] = tx.rope %[[X]], %[[COS]], %[[SIN]] {interleaved} : tensor<1x1x2x4xf32>, tensor<2x2xf32>, tensor<2x2xf32> -> tensor<1x1x2x4xf32>
// CHECK-NEXT: return %[[R]]
func.func @interleaved_constant(%x: tensor<1x1x2x4xf32>) -> tensor<1x1x2x4xf32> {
  %cos = arith.constant dense<[[1.0, 1.0, 0.5, 0.5], [0.25, 0.25, -1.0, -1.0]]> : tensor<2x4xf32>
  %sin = arith.constant dense<[[0.0, 0.0, 0.75, 0.75], [0.125, 0.125, 2.0, 2.0]]> : tensor<2x4xf32>
  %e0 = tensor.empty() : tensor<1x1x2x4xf32>
  %cb = linalg.broadcast ins(%cos : tensor<2x4xf32>) outs(%e0 : tensor<1x1x2x4xf32>) dimensions = [0, 1]
  %xc = arith.mulf %x, %cb : tensor<1x1x2x4xf32>
  %x0 = tensor.extract_slice %x[0, 0, 0, 0] [1, 1, 2, 2] [1, 1, 1, 2] : tensor<1x1x2x4xf32> to tensor<1x1x2x2xf32>
  %x1 = tensor.extract_slice %x[0, 0, 0, 1] [1, 1, 2, 2] [1, 1, 1, 2] : tensor<1x1x2x4xf32> to tensor<1x1x2x2xf32>
  %n = arith.negf %x1 : tensor<1x1x2x2xf32>
  %ne = tensor.expand_shape %n [[0], [1], [2], [3, 4]] output_shape [1, 1, 2, 2, 1] : tensor<1x1x2x2xf32> into tensor<1x1x2x2x1xf32>
  %x0e = tensor.expand_shape %x0 [[0], [1], [2], [3, 4]] output_shape [1, 1, 2, 2, 1] : tensor<1x1x2x2xf32> into tensor<1x1x2x2x1xf32>
  %st = tensor.concat dim(4) %ne, %x0e : (tensor<1x1x2x2x1xf32>, tensor<1x1x2x2x1xf32>) -> tensor<1x1x2x2x2xf32>
  %rot = tensor.collapse_shape %st [[0], [1], [2], [3, 4]] : tensor<1x1x2x2x2xf32> into tensor<1x1x2x4xf32>
  %e1 = tensor.empty() : tensor<1x1x2x4xf32>
  %sb = linalg.broadcast ins(%sin : tensor<2x4xf32>) outs(%e1 : tensor<1x1x2x4xf32>) dimensions = [0, 1]
  %xs = arith.mulf %rot, %sb : tensor<1x1x2x4xf32>
  %y = arith.addf %xc, %xs : tensor<1x1x2x4xf32>
  return %y : tensor<1x1x2x4xf32>
}

// -----

// Interleaved with run-time tables built by repeat_interleave as
// unsqueeze + broadcast + flatten: the tables are the stride-2 slices.
// CHECK-LABEL: func.func @interleaved_runtime
// CHECK-SAME: (%[[X:[^:]+]]: tensor<1x1x2x4xf32>, %[[F:[^:]+]]: tensor<2x2xf32>)
// CHECK-DAG: %[[CS:.+]] = tensor.extract_slice %{{.+}}[0, 0] [2, 2] [1, 2] : tensor<2x4xf32> to tensor<2x2xf32>
// CHECK-DAG: %[[SS:.+]] = tensor.extract_slice %{{.+}}[0, 0] [2, 2] [1, 2] : tensor<2x4xf32> to tensor<2x2xf32>
// CHECK: %[[R:.+]] = tx.rope %[[X]], %[[CS]], %[[SS]] {interleaved}
// CHECK-NEXT: return %[[R]]
func.func @interleaved_runtime(%x: tensor<1x1x2x4xf32>, %freqs: tensor<2x2xf32>) -> tensor<1x1x2x4xf32> {
  %e = tensor.empty() : tensor<2x2x2xf32>
  %fb = linalg.broadcast ins(%freqs : tensor<2x2xf32>) outs(%e : tensor<2x2x2xf32>) dimensions = [2]
  %emb = tensor.collapse_shape %fb [[0], [1, 2]] : tensor<2x2x2xf32> into tensor<2x4xf32>
  %cos = math.cos %emb : tensor<2x4xf32>
  %sin = math.sin %emb : tensor<2x4xf32>
  %e0 = tensor.empty() : tensor<1x1x2x4xf32>
  %cb = linalg.broadcast ins(%cos : tensor<2x4xf32>) outs(%e0 : tensor<1x1x2x4xf32>) dimensions = [0, 1]
  %xc = arith.mulf %x, %cb : tensor<1x1x2x4xf32>
  %x0 = tensor.extract_slice %x[0, 0, 0, 0] [1, 1, 2, 2] [1, 1, 1, 2] : tensor<1x1x2x4xf32> to tensor<1x1x2x2xf32>
  %x1 = tensor.extract_slice %x[0, 0, 0, 1] [1, 1, 2, 2] [1, 1, 1, 2] : tensor<1x1x2x4xf32> to tensor<1x1x2x2xf32>
  %x1e = tensor.expand_shape %x1 [[0], [1], [2], [3, 4]] output_shape [1, 1, 2, 2, 1] : tensor<1x1x2x2xf32> into tensor<1x1x2x2x1xf32>
  %ne = arith.negf %x1e : tensor<1x1x2x2x1xf32>
  %x0e = tensor.expand_shape %x0 [[0], [1], [2], [3, 4]] output_shape [1, 1, 2, 2, 1] : tensor<1x1x2x2xf32> into tensor<1x1x2x2x1xf32>
  %st = tensor.concat dim(4) %ne, %x0e : (tensor<1x1x2x2x1xf32>, tensor<1x1x2x2x1xf32>) -> tensor<1x1x2x2x2xf32>
  %rot = tensor.collapse_shape %st [[0], [1], [2], [3, 4]] : tensor<1x1x2x2x2xf32> into tensor<1x1x2x4xf32>
  %e1 = tensor.empty() : tensor<1x1x2x4xf32>
  %sb = linalg.broadcast ins(%sin : tensor<2x4xf32>) outs(%e1 : tensor<1x1x2x4xf32>) dimensions = [0, 1]
  %xs = arith.mulf %rot, %sb : tensor<1x1x2x4xf32>
  %y = arith.addf %xc, %xs : tensor<1x1x2x4xf32>
  return %y : tensor<1x1x2x4xf32>
}

// -----

// Negative: the halves of the constant cos table differ (0.5 vs 0.6).
// CHECK-LABEL: func.func @cos_halves_differ
// CHECK-NOT: tx.rope
// CHECK: return
func.func @cos_halves_differ(%x: tensor<1x1x2x4xf32>) -> tensor<1x1x2x4xf32> {
  %cos = arith.constant dense<[[1.0, 0.5, 1.0, 0.6], [0.25, -1.0, 0.25, -1.0]]> : tensor<2x4xf32>
  %sin = arith.constant dense<[[0.0, 0.75, 0.0, 0.75], [0.125, 2.0, 0.125, 2.0]]> : tensor<2x4xf32>
  %e0 = tensor.empty() : tensor<1x1x2x4xf32>
  %cb = linalg.broadcast ins(%cos : tensor<2x4xf32>) outs(%e0 : tensor<1x1x2x4xf32>) dimensions = [0, 1]
  %xc = arith.mulf %x, %cb : tensor<1x1x2x4xf32>
  %x1 = tensor.extract_slice %x[0, 0, 0, 0] [1, 1, 2, 2] [1, 1, 1, 1] : tensor<1x1x2x4xf32> to tensor<1x1x2x2xf32>
  %x2 = tensor.extract_slice %x[0, 0, 0, 2] [1, 1, 2, 2] [1, 1, 1, 1] : tensor<1x1x2x4xf32> to tensor<1x1x2x2xf32>
  %n = arith.negf %x2 : tensor<1x1x2x2xf32>
  %rot = tensor.concat dim(3) %n, %x1 : (tensor<1x1x2x2xf32>, tensor<1x1x2x2xf32>) -> tensor<1x1x2x4xf32>
  %e1 = tensor.empty() : tensor<1x1x2x4xf32>
  %sb = linalg.broadcast ins(%sin : tensor<2x4xf32>) outs(%e1 : tensor<1x1x2x4xf32>) dimensions = [0, 1]
  %xs = arith.mulf %rot, %sb : tensor<1x1x2x4xf32>
  // expected-remark @+1 {{rotary embedding not raised: the halves of cos are not known to be equal}}
  %y = arith.addf %xc, %xs : tensor<1x1x2x4xf32>
  return %y : tensor<1x1x2x4xf32>
}

// -----

// Negative: run-time tables that are not built from duplicated halves.
// CHECK-LABEL: func.func @runtime_tables_unknown
// CHECK-NOT: tx.rope
// CHECK: return
func.func @runtime_tables_unknown(%x: tensor<1x1x2x4xf32>, %cos: tensor<2x4xf32>, %sin: tensor<2x4xf32>) -> tensor<1x1x2x4xf32> {
  %e0 = tensor.empty() : tensor<1x1x2x4xf32>
  %cb = linalg.broadcast ins(%cos : tensor<2x4xf32>) outs(%e0 : tensor<1x1x2x4xf32>) dimensions = [0, 1]
  %xc = arith.mulf %x, %cb : tensor<1x1x2x4xf32>
  %x1 = tensor.extract_slice %x[0, 0, 0, 0] [1, 1, 2, 2] [1, 1, 1, 1] : tensor<1x1x2x4xf32> to tensor<1x1x2x2xf32>
  %x2 = tensor.extract_slice %x[0, 0, 0, 2] [1, 1, 2, 2] [1, 1, 1, 1] : tensor<1x1x2x4xf32> to tensor<1x1x2x2xf32>
  %n = arith.negf %x2 : tensor<1x1x2x2xf32>
  %rot = tensor.concat dim(3) %n, %x1 : (tensor<1x1x2x2xf32>, tensor<1x1x2x2xf32>) -> tensor<1x1x2x4xf32>
  %e1 = tensor.empty() : tensor<1x1x2x4xf32>
  %sb = linalg.broadcast ins(%sin : tensor<2x4xf32>) outs(%e1 : tensor<1x1x2x4xf32>) dimensions = [0, 1]
  %xs = arith.mulf %rot, %sb : tensor<1x1x2x4xf32>
  // expected-remark @+1 {{rotary embedding not raised: the halves of cos are not known to be equal}}
  %y = arith.addf %xc, %xs : tensor<1x1x2x4xf32>
  return %y : tensor<1x1x2x4xf32>
}

// -----

// Negative: the "high half" slice starts at offset 1, not D/2 = 2.
// CHECK-LABEL: func.func @slice_wrong_offset
// CHECK-NOT: tx.rope
// CHECK: return
func.func @slice_wrong_offset(%x: tensor<1x1x2x4xf32>) -> tensor<1x1x2x4xf32> {
  %cos = arith.constant dense<[[1.0, 0.5, 1.0, 0.5], [0.25, -1.0, 0.25, -1.0]]> : tensor<2x4xf32>
  %sin = arith.constant dense<[[0.0, 0.75, 0.0, 0.75], [0.125, 2.0, 0.125, 2.0]]> : tensor<2x4xf32>
  %e0 = tensor.empty() : tensor<1x1x2x4xf32>
  %cb = linalg.broadcast ins(%cos : tensor<2x4xf32>) outs(%e0 : tensor<1x1x2x4xf32>) dimensions = [0, 1]
  %xc = arith.mulf %x, %cb : tensor<1x1x2x4xf32>
  %x1 = tensor.extract_slice %x[0, 0, 0, 0] [1, 1, 2, 2] [1, 1, 1, 1] : tensor<1x1x2x4xf32> to tensor<1x1x2x2xf32>
  %x2 = tensor.extract_slice %x[0, 0, 0, 1] [1, 1, 2, 2] [1, 1, 1, 1] : tensor<1x1x2x4xf32> to tensor<1x1x2x2xf32>
  %n = arith.negf %x2 : tensor<1x1x2x2xf32>
  %rot = tensor.concat dim(3) %n, %x1 : (tensor<1x1x2x2xf32>, tensor<1x1x2x2xf32>) -> tensor<1x1x2x4xf32>
  %e1 = tensor.empty() : tensor<1x1x2x4xf32>
  %sb = linalg.broadcast ins(%sin : tensor<2x4xf32>) outs(%e1 : tensor<1x1x2x4xf32>) dimensions = [0, 1]
  %xs = arith.mulf %rot, %sb : tensor<1x1x2x4xf32>
  %y = arith.addf %xc, %xs : tensor<1x1x2x4xf32>
  return %y : tensor<1x1x2x4xf32>
}

// -----

// Negative: x * cos multiplies a different tensor than the rotated one.
// CHECK-LABEL: func.func @different_inputs
// CHECK-NOT: tx.rope
// CHECK: return
func.func @different_inputs(%x: tensor<1x1x2x4xf32>, %z: tensor<1x1x2x4xf32>) -> tensor<1x1x2x4xf32> {
  %cos = arith.constant dense<[[1.0, 0.5, 1.0, 0.5], [0.25, -1.0, 0.25, -1.0]]> : tensor<2x4xf32>
  %sin = arith.constant dense<[[0.0, 0.75, 0.0, 0.75], [0.125, 2.0, 0.125, 2.0]]> : tensor<2x4xf32>
  %e0 = tensor.empty() : tensor<1x1x2x4xf32>
  %cb = linalg.broadcast ins(%cos : tensor<2x4xf32>) outs(%e0 : tensor<1x1x2x4xf32>) dimensions = [0, 1]
  %xc = arith.mulf %z, %cb : tensor<1x1x2x4xf32>
  %x1 = tensor.extract_slice %x[0, 0, 0, 0] [1, 1, 2, 2] [1, 1, 1, 1] : tensor<1x1x2x4xf32> to tensor<1x1x2x2xf32>
  %x2 = tensor.extract_slice %x[0, 0, 0, 2] [1, 1, 2, 2] [1, 1, 1, 1] : tensor<1x1x2x4xf32> to tensor<1x1x2x2xf32>
  %n = arith.negf %x2 : tensor<1x1x2x2xf32>
  %rot = tensor.concat dim(3) %n, %x1 : (tensor<1x1x2x2xf32>, tensor<1x1x2x2xf32>) -> tensor<1x1x2x4xf32>
  %e1 = tensor.empty() : tensor<1x1x2x4xf32>
  %sb = linalg.broadcast ins(%sin : tensor<2x4xf32>) outs(%e1 : tensor<1x1x2x4xf32>) dimensions = [0, 1]
  %xs = arith.mulf %rot, %sb : tensor<1x1x2x4xf32>
  %y = arith.addf %xc, %xs : tensor<1x1x2x4xf32>
  return %y : tensor<1x1x2x4xf32>
}

// -----

// Negative: the table varies along the heads ([H, S, D] broadcast over the
// batch), which tx.rope tables cannot express.
// CHECK-LABEL: func.func @table_varies_by_head
// CHECK-NOT: tx.rope
// CHECK: return
func.func @table_varies_by_head(%x: tensor<1x2x2x4xf32>) -> tensor<1x2x2x4xf32> {
  %cos = arith.constant dense<1.0> : tensor<2x2x4xf32>
  %sin = arith.constant dense<0.0> : tensor<2x2x4xf32>
  %e0 = tensor.empty() : tensor<1x2x2x4xf32>
  %cb = linalg.broadcast ins(%cos : tensor<2x2x4xf32>) outs(%e0 : tensor<1x2x2x4xf32>) dimensions = [0]
  %xc = arith.mulf %x, %cb : tensor<1x2x2x4xf32>
  %x1 = tensor.extract_slice %x[0, 0, 0, 0] [1, 2, 2, 2] [1, 1, 1, 1] : tensor<1x2x2x4xf32> to tensor<1x2x2x2xf32>
  %x2 = tensor.extract_slice %x[0, 0, 0, 2] [1, 2, 2, 2] [1, 1, 1, 1] : tensor<1x2x2x4xf32> to tensor<1x2x2x2xf32>
  %n = arith.negf %x2 : tensor<1x2x2x2xf32>
  %rot = tensor.concat dim(3) %n, %x1 : (tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>) -> tensor<1x2x2x4xf32>
  %e1 = tensor.empty() : tensor<1x2x2x4xf32>
  %sb = linalg.broadcast ins(%sin : tensor<2x2x4xf32>) outs(%e1 : tensor<1x2x2x4xf32>) dimensions = [0]
  %xs = arith.mulf %rot, %sb : tensor<1x2x2x4xf32>
  // expected-remark @+1 {{rotary embedding not raised: cos varies along a dimension other than batch and sequence}}
  %y = arith.addf %xc, %xs : tensor<1x2x2x4xf32>
  return %y : tensor<1x2x2x4xf32>
}
