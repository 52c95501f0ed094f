// RUN: tx-opt %s --split-input-file --tx-weights-to-arguments --verify-diagnostics -o /dev/null
// expected-error @+1 {{tx-weights-to-arguments: no entry function (expected @main or a single public function)}}
module {
  func.func @a() { return }
  func.func @b() { return }
}

// -----

func.func @main() -> (tensor<4xf32>, tensor<2x2xf32>) {
  %a = tx.weight "w" : tensor<4xf32>
  // expected-error @+1 {{tx-weights-to-arguments: weight 'w' is used with two types}}
  %b = tx.weight "w" : tensor<2x2xf32>
  return %a, %b : tensor<4xf32>, tensor<2x2xf32>
}

// -----

// expected-error @+1 {{tx-weights-to-arguments: 'x' has type 'tensor<?x4xf32>'; the CPU backend needs static shapes of a supported element type (specialize with --shape)}}
func.func @main(%x: tensor<?x4xf32> {tx.name = "x"}) -> tensor<?x4xf32> {
  return %x : tensor<?x4xf32>
}

// -----

// Sub-byte weights travel packed along their last dimension, which must
// fill whole bytes.
module {
  func.func @main(%x: tensor<2x5xf32>) -> tensor<8x5xi4> {
    // expected-error @+1 {{tx-weights-to-arguments: weight 'c' of type 'tensor<8x5xi4>' does not fill whole bytes along its last dimension}}
    %c = tx.weight "c" : tensor<8x5xi4>
    return %c : tensor<8x5xi4>
  }
}
