// RUN: tx-opt %s --canonicalize --split-input-file | FileCheck %s

// Canonicalization of tx ops:
//  * a multiplication (or division) of the attention query or key by a
//    positive splat constant folds into tx.attention's scale;
//  * tx.tree_mask folds to its constant ancestor mask.

//===----------------------------------------------------------------------===//
// tx.attention: folding constant scalings into `scale`
//===----------------------------------------------------------------------===//

// q * 2 with the default scale 1/sqrt(16) = 0.25 -> scale 0.5.
// CHECK-LABEL: func.func @fold_query_mul
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<1x2x4x16xf32>, %[[K:[^:]+]]: tensor<1x2x4x16xf32>, %[[V:[^:]+]]: tensor<1x2x4x16xf32>)
// CHECK-NOT: arith.mulf
// CHECK: %[[O:.+]] = tx.attention %[[Q]], %[[K]], %[[V]] mask(causal) {scale = 5.000000e-01 : f64}
// CHECK-NEXT: return %[[O]]
func.func @fold_query_mul(%q: tensor<1x2x4x16xf32>, %k: tensor<1x2x4x16xf32>, %v: tensor<1x2x4x16xf32>) -> tensor<1x2x4x16xf32> {
  %c = arith.constant dense<2.0> : tensor<1x2x4x16xf32>
  %q2 = arith.mulf %q, %c : tensor<1x2x4x16xf32>
  %o = tx.attention %q2, %k, %v mask(causal)
      : tensor<1x2x4x16xf32>, tensor<1x2x4x16xf32>, tensor<1x2x4x16xf32> -> tensor<1x2x4x16xf32>
  return %o : tensor<1x2x4x16xf32>
}

// -----

// The constant may be the left operand; an explicit scale is multiplied:
// 0.125 * 0.5 = 0.0625.
// CHECK-LABEL: func.func @fold_query_mul_lhs_explicit_scale
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<1x8x4x64xf32>, %[[K:[^:]+]]: tensor<1x2x4x64xf32>, %[[V:[^:]+]]: tensor<1x2x4x64xf32>)
// CHECK-NOT: arith.mulf
// CHECK: tx.attention %[[Q]], %[[K]], %[[V]] mask(none) {scale = 6.250000e-02 : f64}
func.func @fold_query_mul_lhs_explicit_scale(%q: tensor<1x8x4x64xf32>, %k: tensor<1x2x4x64xf32>, %v: tensor<1x2x4x64xf32>) -> tensor<1x8x4x64xf32> {
  %c = arith.constant dense<0.5> : tensor<1x8x4x64xf32>
  %q2 = arith.mulf %c, %q : tensor<1x8x4x64xf32>
  %o = tx.attention %q2, %k, %v mask(none) {scale = 0.125 : f64}
      : tensor<1x8x4x64xf32>, tensor<1x2x4x64xf32>, tensor<1x2x4x64xf32> -> tensor<1x8x4x64xf32>
  return %o : tensor<1x8x4x64xf32>
}

// -----

// k * 4 with the default scale 1/sqrt(64) = 0.125 -> 0.5 (GQA key).
// CHECK-LABEL: func.func @fold_key_mul
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<1x8x4x64xf32>, %[[K:[^:]+]]: tensor<1x2x4x64xf32>, %[[V:[^:]+]]: tensor<1x2x4x64xf32>)
// CHECK-NOT: arith.mulf
// CHECK: tx.attention %[[Q]], %[[K]], %[[V]] mask(causal) {scale = 5.000000e-01 : f64}
func.func @fold_key_mul(%q: tensor<1x8x4x64xf32>, %k: tensor<1x2x4x64xf32>, %v: tensor<1x2x4x64xf32>) -> tensor<1x8x4x64xf32> {
  %c = arith.constant dense<4.0> : tensor<1x2x4x64xf32>
  %k2 = arith.mulf %k, %c : tensor<1x2x4x64xf32>
  %o = tx.attention %q, %k2, %v mask(causal)
      : tensor<1x8x4x64xf32>, tensor<1x2x4x64xf32>, tensor<1x2x4x64xf32> -> tensor<1x8x4x64xf32>
  return %o : tensor<1x8x4x64xf32>
}

// -----

// q / 4 with the default scale 0.25 -> 0.0625.
// CHECK-LABEL: func.func @fold_query_div
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<1x2x4x16xf32>, %[[K:[^:]+]]: tensor<1x2x4x16xf32>, %[[V:[^:]+]]: tensor<1x2x4x16xf32>)
// CHECK-NOT: arith.divf
// CHECK: tx.attention %[[Q]], %[[K]], %[[V]] mask(causal) {scale = 6.250000e-02 : f64}
func.func @fold_query_div(%q: tensor<1x2x4x16xf32>, %k: tensor<1x2x4x16xf32>, %v: tensor<1x2x4x16xf32>) -> tensor<1x2x4x16xf32> {
  %c = arith.constant dense<4.0> : tensor<1x2x4x16xf32>
  %q2 = arith.divf %q, %c : tensor<1x2x4x16xf32>
  %o = tx.attention %q2, %k, %v mask(causal)
      : tensor<1x2x4x16xf32>, tensor<1x2x4x16xf32>, tensor<1x2x4x16xf32> -> tensor<1x2x4x16xf32>
  return %o : tensor<1x2x4x16xf32>
}

// -----

// k / 0.5 with an explicit scale 0.1 -> 0.2 (f16).
// CHECK-LABEL: func.func @fold_key_div_f16
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<1x4x2x8xf16>, %[[K:[^:]+]]: tensor<1x4x2x8xf16>)
// CHECK-NOT: arith.divf
// CHECK: tx.attention %[[Q]], %[[K]], %[[K]] mask(none) {scale = 2.000000e-01 : f64}
func.func @fold_key_div_f16(%q: tensor<1x4x2x8xf16>, %k: tensor<1x4x2x8xf16>) -> tensor<1x4x2x8xf16> {
  %c = arith.constant dense<0.5> : tensor<1x4x2x8xf16>
  %k2 = arith.divf %k, %c : tensor<1x4x2x8xf16>
  %o = tx.attention %q, %k2, %k mask(none) {scale = 0.1 : f64}
      : tensor<1x4x2x8xf16>, tensor<1x4x2x8xf16>, tensor<1x4x2x8xf16> -> tensor<1x4x2x8xf16>
  return %o : tensor<1x4x2x8xf16>
}

// -----

// Both the query (x2) and the key (x3) are scaled: 0.25 * 2 * 3 = 1.5.
// CHECK-LABEL: func.func @fold_query_and_key
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<1x2x4x16xf32>, %[[K:[^:]+]]: tensor<1x2x4x16xf32>, %[[V:[^:]+]]: tensor<1x2x4x16xf32>)
// CHECK-NOT: arith.mulf
// CHECK: tx.attention %[[Q]], %[[K]], %[[V]] mask(sliding_window) {scale = 1.500000e+00 : f64, window = 2 : i64}
func.func @fold_query_and_key(%q: tensor<1x2x4x16xf32>, %k: tensor<1x2x4x16xf32>, %v: tensor<1x2x4x16xf32>) -> tensor<1x2x4x16xf32> {
  %c2 = arith.constant dense<2.0> : tensor<1x2x4x16xf32>
  %c3 = arith.constant dense<3.0> : tensor<1x2x4x16xf32>
  %q2 = arith.mulf %q, %c2 : tensor<1x2x4x16xf32>
  %k2 = arith.mulf %k, %c3 : tensor<1x2x4x16xf32>
  %o = tx.attention %q2, %k2, %v mask(sliding_window) {window = 2}
      : tensor<1x2x4x16xf32>, tensor<1x2x4x16xf32>, tensor<1x2x4x16xf32> -> tensor<1x2x4x16xf32>
  return %o : tensor<1x2x4x16xf32>
}

// -----

// The scaled query has another use: the multiplication stays for that use,
// and the attention reads the unscaled query.
// CHECK-LABEL: func.func @fold_query_other_use
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<1x2x4x16xf32>, %[[K:[^:]+]]: tensor<1x2x4x16xf32>, %[[V:[^:]+]]: tensor<1x2x4x16xf32>)
// CHECK-DAG: %[[C:.+]] = arith.constant dense<2.000000e+00> : tensor<1x2x4x16xf32>
// CHECK-DAG: %[[Q2:.+]] = arith.mulf %[[Q]], %[[C]]
// CHECK: %[[O:.+]] = tx.attention %[[Q]], %[[K]], %[[V]] mask(causal) {scale = 5.000000e-01 : f64}
// CHECK: return %[[O]], %[[Q2]]
func.func @fold_query_other_use(%q: tensor<1x2x4x16xf32>, %k: tensor<1x2x4x16xf32>, %v: tensor<1x2x4x16xf32>) -> (tensor<1x2x4x16xf32>, tensor<1x2x4x16xf32>) {
  %c = arith.constant dense<2.0> : tensor<1x2x4x16xf32>
  %q2 = arith.mulf %q, %c : tensor<1x2x4x16xf32>
  %o = tx.attention %q2, %k, %v mask(causal)
      : tensor<1x2x4x16xf32>, tensor<1x2x4x16xf32>, tensor<1x2x4x16xf32> -> tensor<1x2x4x16xf32>
  return %o, %q2 : tensor<1x2x4x16xf32>, tensor<1x2x4x16xf32>
}

// -----

// Dynamic query head_dim: the default scale is unknown, so nothing folds...
// CHECK-LABEL: func.func @no_fold_dynamic_head_dim
// CHECK: %[[K2:.+]] = arith.mulf
// CHECK: tx.attention %{{.+}}, %[[K2]], %{{.+}} mask(causal) :
func.func @no_fold_dynamic_head_dim(%q: tensor<1x2x4x?xf32>, %k: tensor<1x2x4x16xf32>, %v: tensor<1x2x4x16xf32>) -> tensor<1x2x4x16xf32> {
  %c = arith.constant dense<2.0> : tensor<1x2x4x16xf32>
  %k2 = arith.mulf %k, %c : tensor<1x2x4x16xf32>
  %o = tx.attention %q, %k2, %v mask(causal)
      : tensor<1x2x4x?xf32>, tensor<1x2x4x16xf32>, tensor<1x2x4x16xf32> -> tensor<1x2x4x16xf32>
  return %o : tensor<1x2x4x16xf32>
}

// -----

// ... but with an explicit scale it does: 0.1 * 2 = 0.2.
// CHECK-LABEL: func.func @fold_dynamic_head_dim_explicit_scale
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<1x2x4x?xf32>, %[[K:[^:]+]]: tensor<1x2x4x16xf32>, %[[V:[^:]+]]: tensor<1x2x4x16xf32>)
// CHECK-NOT: arith.mulf
// CHECK: tx.attention %[[Q]], %[[K]], %[[V]] mask(causal) {scale = 2.000000e-01 : f64}
func.func @fold_dynamic_head_dim_explicit_scale(%q: tensor<1x2x4x?xf32>, %k: tensor<1x2x4x16xf32>, %v: tensor<1x2x4x16xf32>) -> tensor<1x2x4x16xf32> {
  %c = arith.constant dense<2.0> : tensor<1x2x4x16xf32>
  %k2 = arith.mulf %k, %c : tensor<1x2x4x16xf32>
  %o = tx.attention %q, %k2, %v mask(causal) {scale = 0.1 : f64}
      : tensor<1x2x4x?xf32>, tensor<1x2x4x16xf32>, tensor<1x2x4x16xf32> -> tensor<1x2x4x16xf32>
  return %o : tensor<1x2x4x16xf32>
}

// -----

// Negative tests: a non-splat constant is not folded.
// CHECK-LABEL: func.func @no_fold_non_splat
// CHECK: %[[C:.+]] = arith.constant dense<{{\[\[\[\[}}2.000000e+00, 3.000000e+00]]]]> : tensor<1x1x1x2xf32>
// CHECK: %[[Q2:.+]] = arith.mulf %{{.+}}, %[[C]]
// CHECK: tx.attention %[[Q2]], %{{.+}}, %{{.+}} mask(none) :
func.func @no_fold_non_splat(%q: tensor<1x1x1x2xf32>, %k: tensor<1x1x1x2xf32>, %v: tensor<1x1x1x2xf32>) -> tensor<1x1x1x2xf32> {
  %c = arith.constant dense<[[[[2.0, 3.0]]]]> : tensor<1x1x1x2xf32>
  %q2 = arith.mulf %q, %c : tensor<1x1x1x2xf32>
  %o = tx.attention %q2, %k, %v mask(none)
      : tensor<1x1x1x2xf32>, tensor<1x1x1x2xf32>, tensor<1x1x1x2xf32> -> tensor<1x1x1x2xf32>
  return %o : tensor<1x1x1x2xf32>
}

// -----

// A non-constant multiplier is not folded.
// CHECK-LABEL: func.func @no_fold_non_constant
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<1x2x4x16xf32>, %[[K:[^:]+]]: tensor<1x2x4x16xf32>, %[[V:[^:]+]]: tensor<1x2x4x16xf32>, %[[S:[^:]+]]: tensor<1x2x4x16xf32>)
// CHECK: %[[Q2:.+]] = arith.mulf %[[Q]], %[[S]]
// CHECK: tx.attention %[[Q2]], %[[K]], %[[V]] mask(causal) :
func.func @no_fold_non_constant(%q: tensor<1x2x4x16xf32>, %k: tensor<1x2x4x16xf32>, %v: tensor<1x2x4x16xf32>, %s: tensor<1x2x4x16xf32>) -> tensor<1x2x4x16xf32> {
  %q2 = arith.mulf %q, %s : tensor<1x2x4x16xf32>
  %o = tx.attention %q2, %k, %v mask(causal)
      : tensor<1x2x4x16xf32>, tensor<1x2x4x16xf32>, tensor<1x2x4x16xf32> -> tensor<1x2x4x16xf32>
  return %o : tensor<1x2x4x16xf32>
}

// -----

// A splat of a runtime scalar (not a constant) is not folded.
// CHECK-LABEL: func.func @no_fold_splat_of_argument
// CHECK: %[[T:.+]] = tensor.splat
// CHECK: %[[Q2:.+]] = arith.mulf %{{.+}}, %[[T]]
// CHECK: tx.attention %[[Q2]], %{{.+}}, %{{.+}} mask(causal) :
func.func @no_fold_splat_of_argument(%q: tensor<1x2x4x16xf32>, %k: tensor<1x2x4x16xf32>, %v: tensor<1x2x4x16xf32>, %s: f32) -> tensor<1x2x4x16xf32> {
  %t = tensor.splat %s : tensor<1x2x4x16xf32>
  %q2 = arith.mulf %q, %t : tensor<1x2x4x16xf32>
  %o = tx.attention %q2, %k, %v mask(causal)
      : tensor<1x2x4x16xf32>, tensor<1x2x4x16xf32>, tensor<1x2x4x16xf32> -> tensor<1x2x4x16xf32>
  return %o : tensor<1x2x4x16xf32>
}

// -----

// A negative constant is not folded (the scale must stay positive).
// CHECK-LABEL: func.func @no_fold_negative
// CHECK: %[[C:.+]] = arith.constant dense<-2.000000e+00> : tensor<1x2x4x16xf32>
// CHECK: %[[Q2:.+]] = arith.mulf %{{.+}}, %[[C]]
// CHECK: tx.attention %[[Q2]], %{{.+}}, %{{.+}} mask(causal) :
func.func @no_fold_negative(%q: tensor<1x2x4x16xf32>, %k: tensor<1x2x4x16xf32>, %v: tensor<1x2x4x16xf32>) -> tensor<1x2x4x16xf32> {
  %c = arith.constant dense<-2.0> : tensor<1x2x4x16xf32>
  %q2 = arith.mulf %q, %c : tensor<1x2x4x16xf32>
  %o = tx.attention %q2, %k, %v mask(causal)
      : tensor<1x2x4x16xf32>, tensor<1x2x4x16xf32>, tensor<1x2x4x16xf32> -> tensor<1x2x4x16xf32>
  return %o : tensor<1x2x4x16xf32>
}

// -----

// A negative divisor is not folded either.
// CHECK-LABEL: func.func @no_fold_negative_div
// CHECK: %[[K2:.+]] = arith.divf
// CHECK: tx.attention %{{.+}}, %[[K2]], %{{.+}} mask(causal) :
func.func @no_fold_negative_div(%q: tensor<1x2x4x16xf32>, %k: tensor<1x2x4x16xf32>, %v: tensor<1x2x4x16xf32>) -> tensor<1x2x4x16xf32> {
  %c = arith.constant dense<-4.0> : tensor<1x2x4x16xf32>
  %k2 = arith.divf %k, %c : tensor<1x2x4x16xf32>
  %o = tx.attention %q, %k2, %v mask(causal)
      : tensor<1x2x4x16xf32>, tensor<1x2x4x16xf32>, tensor<1x2x4x16xf32> -> tensor<1x2x4x16xf32>
  return %o : tensor<1x2x4x16xf32>
}

// -----

// Zero is not folded: as a factor it would make the scale 0, as a divisor
// infinite.
// CHECK-LABEL: func.func @no_fold_zero
// CHECK: arith.mulf
// CHECK: arith.divf
// CHECK: tx.attention %{{.+}}, %{{.+}}, %{{.+}} mask(causal) :
func.func @no_fold_zero(%q: tensor<1x2x4x16xf32>, %k: tensor<1x2x4x16xf32>, %v: tensor<1x2x4x16xf32>) -> tensor<1x2x4x16xf32> {
  %c = arith.constant dense<0.0> : tensor<1x2x4x16xf32>
  %q2 = arith.mulf %q, %c : tensor<1x2x4x16xf32>
  %k2 = arith.divf %k, %c : tensor<1x2x4x16xf32>
  %o = tx.attention %q2, %k2, %v mask(causal)
      : tensor<1x2x4x16xf32>, tensor<1x2x4x16xf32>, tensor<1x2x4x16xf32> -> tensor<1x2x4x16xf32>
  return %o : tensor<1x2x4x16xf32>
}

// -----

// A constant divided by the key (c / k) is not a scaling of k.
// CHECK-LABEL: func.func @no_fold_constant_over_key
// CHECK: %[[K2:.+]] = arith.divf %{{.+}}, %{{.+}} : tensor<1x2x4x16xf32>
// CHECK: tx.attention %{{.+}}, %[[K2]], %{{.+}} mask(causal) :
func.func @no_fold_constant_over_key(%q: tensor<1x2x4x16xf32>, %k: tensor<1x2x4x16xf32>, %v: tensor<1x2x4x16xf32>) -> tensor<1x2x4x16xf32> {
  %c = arith.constant dense<2.0> : tensor<1x2x4x16xf32>
  %k2 = arith.divf %c, %k : tensor<1x2x4x16xf32>
  %o = tx.attention %q, %k2, %v mask(causal)
      : tensor<1x2x4x16xf32>, tensor<1x2x4x16xf32>, tensor<1x2x4x16xf32> -> tensor<1x2x4x16xf32>
  return %o : tensor<1x2x4x16xf32>
}

// -----

// Scaling the value is not a scaling of the scores.
// CHECK-LABEL: func.func @no_fold_value
// CHECK: %[[V2:.+]] = arith.mulf
// CHECK: tx.attention %{{.+}}, %{{.+}}, %[[V2]] mask(causal) :
func.func @no_fold_value(%q: tensor<1x2x4x16xf32>, %k: tensor<1x2x4x16xf32>, %v: tensor<1x2x4x16xf32>) -> tensor<1x2x4x16xf32> {
  %c = arith.constant dense<2.0> : tensor<1x2x4x16xf32>
  %v2 = arith.mulf %v, %c : tensor<1x2x4x16xf32>
  %o = tx.attention %q, %k, %v2 mask(causal)
      : tensor<1x2x4x16xf32>, tensor<1x2x4x16xf32>, tensor<1x2x4x16xf32> -> tensor<1x2x4x16xf32>
  return %o : tensor<1x2x4x16xf32>
}

//===----------------------------------------------------------------------===//
// tx.tree_mask: folds to the constant ancestor mask
//===----------------------------------------------------------------------===//

// -----

// Row i allows column j when j is i or an ancestor of i.
// parents = [-1, 0, 0, 1]: 1 -> 0, 2 -> 0, 3 -> 1 -> 0.
// CHECK-LABEL: func.func @tree_mask_fold
// CHECK-NOT: tx.tree_mask
// CHECK: %[[M:.+]] = arith.constant dense<{{\[}}[true, false, false, false], [true, true, false, false], [true, false, true, false], [true, true, false, true]]> : tensor<4x4xi1>
// CHECK-NEXT: return %[[M]]
func.func @tree_mask_fold() -> tensor<4x4xi1> {
  %m = tx.tree_mask #tx.tree<parents = [-1, 0, 0, 1]> -> tensor<4x4xi1>
  return %m : tensor<4x4xi1>
}

// -----

// A single node: the root sees itself.
// CHECK-LABEL: func.func @tree_mask_fold_single
// CHECK-NOT: tx.tree_mask
// CHECK: %[[M:.+]] = arith.constant dense<true> : tensor<1x1xi1>
// CHECK-NEXT: return %[[M]]
func.func @tree_mask_fold_single() -> tensor<1x1xi1> {
  %m = tx.tree_mask #tx.tree<parents = [-1]> -> tensor<1x1xi1>
  return %m : tensor<1x1xi1>
}

// -----

// A chain is lower triangular.
// CHECK-LABEL: func.func @tree_mask_fold_chain
// CHECK-NOT: tx.tree_mask
// CHECK: arith.constant dense<{{\[}}[true, false, false], [true, true, false], [true, true, true]]> : tensor<3x3xi1>
func.func @tree_mask_fold_chain() -> tensor<3x3xi1> {
  %m = tx.tree_mask #tx.tree<parents = [-1, 0, 1]> -> tensor<3x3xi1>
  return %m : tensor<3x3xi1>
}

// -----

// The folded value feeds constant folding of its users: 7 nodes,
// parents = [-1, 0, 0, 1, 1, 2, 5] (6 -> 5 -> 2 -> 0, 4 -> 1 -> 0).
// CHECK-LABEL: func.func @tree_mask_fold_through_user
// CHECK-NOT: tx.tree_mask
// CHECK: %[[M:.+]] = arith.constant dense<{{\[}}[1, 0, 0, 0, 0, 0, 0], [1, 1, 0, 0, 0, 0, 0], [1, 0, 1, 0, 0, 0, 0], [1, 1, 0, 1, 0, 0, 0], [1, 1, 0, 0, 1, 0, 0], [1, 0, 1, 0, 0, 1, 0], [1, 0, 1, 0, 0, 1, 1]]> : tensor<7x7xi8>
// CHECK-NEXT: return %[[M]]
func.func @tree_mask_fold_through_user() -> tensor<7x7xi8> {
  %m = tx.tree_mask #tx.tree<parents = [-1, 0, 0, 1, 1, 2, 5]> -> tensor<7x7xi1>
  %e = arith.extui %m : tensor<7x7xi1> to tensor<7x7xi8>
  return %e : tensor<7x7xi8>
}

// -----

// Extracting one element folds to a scalar constant: node 3's ancestor 1 is
// visible ([3, 1] is true), its sibling-subtree node 2 is not ([3, 2] false).
// CHECK-LABEL: func.func @tree_mask_fold_extract
// CHECK-DAG: %[[T:.+]] = arith.constant true
// CHECK-DAG: %[[F:.+]] = arith.constant false
// CHECK: return %[[T]], %[[F]] : i1, i1
func.func @tree_mask_fold_extract() -> (i1, i1) {
  %m = tx.tree_mask #tx.tree<parents = [-1, 0, 0, 1]> -> tensor<4x4xi1>
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %a = tensor.extract %m[%c3, %c1] : tensor<4x4xi1>
  %b = tensor.extract %m[%c3, %c2] : tensor<4x4xi1>
  return %a, %b : i1, i1
}

// -----

// A bias broadcast from [N] and added to a tx.linear becomes its bias.
// CHECK-LABEL: func.func @linear_bias_fold
// CHECK-SAME: (%[[X:.+]]: tensor<2x4x8xf32>, %[[W:.+]]: tensor<16x8xf32>, %[[B:.+]]: tensor<16xf32>)
// CHECK: %[[Y:.+]] = tx.linear %[[X]], %[[W]] bias(%[[B]] : tensor<16xf32>) : tensor<2x4x8xf32>, tensor<16x8xf32> -> tensor<2x4x16xf32>
// CHECK-NEXT: return %[[Y]]
func.func @linear_bias_fold(%x: tensor<2x4x8xf32>, %w: tensor<16x8xf32>, %b: tensor<16xf32>) -> tensor<2x4x16xf32> {
  %y = tx.linear %x, %w : tensor<2x4x8xf32>, tensor<16x8xf32> -> tensor<2x4x16xf32>
  %e = tensor.empty() : tensor<2x4x16xf32>
  %bb = linalg.broadcast ins(%b : tensor<16xf32>) outs(%e : tensor<2x4x16xf32>) dimensions = [0, 1]
  %r = arith.addf %bb, %y : tensor<2x4x16xf32>
  return %r : tensor<2x4x16xf32>
}

// -----

// Not folded: the linear result has another user.
// CHECK-LABEL: func.func @linear_bias_two_uses
// CHECK: tx.linear %{{.+}}, %{{.+}} :
// CHECK: arith.addf
func.func @linear_bias_two_uses(%x: tensor<4x8xf32>, %w: tensor<16x8xf32>, %b: tensor<16xf32>) -> (tensor<4x16xf32>, tensor<4x16xf32>) {
  %y = tx.linear %x, %w : tensor<4x8xf32>, tensor<16x8xf32> -> tensor<4x16xf32>
  %e = tensor.empty() : tensor<4x16xf32>
  %bb = linalg.broadcast ins(%b : tensor<16xf32>) outs(%e : tensor<4x16xf32>) dimensions = [0]
  %r = arith.addf %y, %bb : tensor<4x16xf32>
  return %r, %y : tensor<4x16xf32>, tensor<4x16xf32>
}

// -----

// Not folded: broadcast along the last dimension is not a bias.
// CHECK-LABEL: func.func @linear_bias_wrong_axis
// CHECK: arith.addf
func.func @linear_bias_wrong_axis(%x: tensor<16x8xf32>, %w: tensor<16x8xf32>, %b: tensor<16xf32>) -> tensor<16x16xf32> {
  %y = tx.linear %x, %w : tensor<16x8xf32>, tensor<16x8xf32> -> tensor<16x16xf32>
  %e = tensor.empty() : tensor<16x16xf32>
  %bb = linalg.broadcast ins(%b : tensor<16xf32>) outs(%e : tensor<16x16xf32>) dimensions = [1]
  %r = arith.addf %y, %bb : tensor<16x16xf32>
  return %r : tensor<16x16xf32>
}

// -----

// A splat constant of the result's shape added to a linear (exporters fold
// equal biases, such as zero-initialized ones, into one constant) is its bias.
// CHECK-LABEL: func.func @linear_splat_bias_fold
// CHECK-SAME: (%[[X:.+]]: tensor<2x4x8xf32>, %[[W:.+]]: tensor<16x8xf32>)
// CHECK: %[[B:.+]] = arith.constant dense<5.000000e-01> : tensor<16xf32>
// CHECK: %[[Y:.+]] = tx.linear %[[X]], %[[W]] bias(%[[B]] : tensor<16xf32>) : tensor<2x4x8xf32>, tensor<16x8xf32> -> tensor<2x4x16xf32>
// CHECK-NEXT: return %[[Y]]
func.func @linear_splat_bias_fold(%x: tensor<2x4x8xf32>, %w: tensor<16x8xf32>) -> tensor<2x4x16xf32> {
  %y = tx.linear %x, %w : tensor<2x4x8xf32>, tensor<16x8xf32> -> tensor<2x4x16xf32>
  %c = arith.constant dense<5.000000e-01> : tensor<2x4x16xf32>
  %r = arith.addf %y, %c : tensor<2x4x16xf32>
  return %r : tensor<2x4x16xf32>
}

// -----

// A linear on a flattened input ([B*S, K], as Conv1D / addmm exports compute
// it) reshaped back to [B, S, N] works on [B, S, K] directly, bias included.
// CHECK-LABEL: func.func @linear_flattened
// CHECK-SAME: (%[[X:.+]]: tensor<2x4x8xf32>, %[[W:.+]]: tensor<16x8xf32>, %[[B:.+]]: tensor<16xf32>)
// CHECK-NEXT: %[[Y:.+]] = tx.linear %[[X]], %[[W]] bias(%[[B]] : tensor<16xf32>) : tensor<2x4x8xf32>, tensor<16x8xf32> -> tensor<2x4x16xf32>
// CHECK-NEXT: return %[[Y]]
func.func @linear_flattened(%x: tensor<2x4x8xf32>, %w: tensor<16x8xf32>, %b: tensor<16xf32>) -> tensor<2x4x16xf32> {
  %flat = tensor.collapse_shape %x [[0, 1], [2]] : tensor<2x4x8xf32> into tensor<8x8xf32>
  %y = tx.linear %flat, %w bias(%b : tensor<16xf32>) : tensor<8x8xf32>, tensor<16x8xf32> -> tensor<8x16xf32>
  %r = tensor.expand_shape %y [[0, 1], [2]] output_shape [2, 4, 16] : tensor<8x16xf32> into tensor<2x4x16xf32>
  return %r : tensor<2x4x16xf32>
}

// -----

// Not folded: the expand splits the rows differently from the flatten.
// CHECK-LABEL: func.func @linear_flattened_other_split
// CHECK: tensor.collapse_shape
// CHECK: tx.linear {{.+}} : tensor<8x8xf32>, tensor<16x8xf32> -> tensor<8x16xf32>
// CHECK: tensor.expand_shape
func.func @linear_flattened_other_split(%x: tensor<2x4x8xf32>, %w: tensor<16x8xf32>) -> tensor<4x2x16xf32> {
  %flat = tensor.collapse_shape %x [[0, 1], [2]] : tensor<2x4x8xf32> into tensor<8x8xf32>
  %y = tx.linear %flat, %w : tensor<8x8xf32>, tensor<16x8xf32> -> tensor<8x16xf32>
  %r = tensor.expand_shape %y [[0, 1], [2]] output_shape [4, 2, 16] : tensor<8x16xf32> into tensor<4x2x16xf32>
  return %r : tensor<4x2x16xf32>
}
