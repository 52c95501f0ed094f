// A small model for the out-of-tree C program (install.test): an RMS norm
// then a matrix product, y = rms_norm(x, g) @ w. The installed txc compiles
// it; consumer/run_model.c runs it through libtxrt and checks y against a
// reference it computes from the same formulas:
//   g[j]    = 0.5 + 0.125 * j
//   w[i][k] = ((4 * i + k) mod 7 - 3) * 0.25
func.func @main(%x: tensor<3x8xf32> {tx.name = "x"})
    -> (tensor<3x4xf32> {tx.name = "y"}) {
  %g = arith.constant dense<[0.5, 0.625, 0.75, 0.875, 1.0, 1.125, 1.25, 1.375]> : tensor<8xf32>
  %w = arith.constant dense<[[-0.75, -0.5, -0.25, 0.0], [0.25, 0.5, 0.75, -0.75],
                             [-0.5, -0.25, 0.0, 0.25], [0.5, 0.75, -0.75, -0.5],
                             [-0.25, 0.0, 0.25, 0.5], [0.75, -0.75, -0.5, -0.25],
                             [0.0, 0.25, 0.5, 0.75], [-0.75, -0.5, -0.25, 0.0]]> : tensor<8x4xf32>
  %n = tx.rms_norm %x, %g {epsilon = 1.0e-05 : f64}
      : tensor<3x8xf32>, tensor<8xf32> -> tensor<3x8xf32>
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<3x4xf32>
  %init = linalg.fill ins(%zero : f32) outs(%empty : tensor<3x4xf32>) -> tensor<3x4xf32>
  %y = linalg.matmul ins(%n, %w : tensor<3x8xf32>, tensor<8x4xf32>)
                     outs(%init : tensor<3x4xf32>) -> tensor<3x4xf32>
  return %y : tensor<3x4xf32>
}
