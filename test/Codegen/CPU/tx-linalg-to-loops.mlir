// RUN: tx-opt %s --tx-linalg-to-loops --split-input-file | FileCheck %s
// RUN: tx-opt %s --tx-linalg-to-loops="parallel=false vector-bits=0" --split-input-file | FileCheck %s --check-prefix=SCALAR
// RUN: tx-opt %s --tx-linalg-to-loops=min-parallel-work=0 --split-input-file | FileCheck %s --check-prefix=ALL
// RUN: tx-opt %s --tx-linalg-to-loops=remarks --split-input-file --verify-diagnostics -o /dev/null

// The expected-remark lines give each op's layout as `remarks` reports it.

// An RMSNorm. The sum of squares accumulates in a vector register (16 f32
// lanes from the neutral element, one reassociated horizontal add with
// the initial value after the loop, one store); the per-row scale is
// computed once per row and broadcast; both nests are large enough for a
// parallel loop over the 128 rows (the unit batch dimension gets no loop).
// CHECK-LABEL: func.func @rms_norm
// CHECK-SAME: (%[[X:.+]]: memref<1x128x768xf32>, %[[W:.+]]: memref<768xf32>, %[[OUT:.+]]: memref<1x128x768xf32>, %[[ACC:.+]]: memref<1x128xf32>)
// CHECK-DAG: %[[C0:.+]] = arith.constant 0 : index
// CHECK-DAG: %[[C1:.+]] = arith.constant 1 : index
// CHECK-DAG: %[[C16:.+]] = arith.constant 16 : index
// CHECK-DAG: %[[C128:.+]] = arith.constant 128 : index
// CHECK-DAG: %[[C768:.+]] = arith.constant 768 : index
// CHECK: scf.parallel (%[[R:.+]]) = (%[[C0]]) to (%[[C128]]) step (%[[C1]]) {
// CHECK:   %[[INIT:.+]] = memref.load %[[ACC]][%[[C0]], %[[R]]]
// CHECK:   %[[ZERO:.+]] = arith.constant dense<0.000000e+00> : vector<16xf32>
// CHECK:   %[[SUMS:.+]] = scf.for %[[K:.+]] = %[[C0]] to %[[C768]] step %[[C16]] iter_args(%[[A:.+]] = %[[ZERO]]) -> (vector<16xf32>) {
// CHECK:     %[[V:.+]] = vector.load %[[X]][%[[C0]], %[[R]], %[[K]]] : memref<1x128x768xf32>, vector<16xf32>
// CHECK:     %[[SQ:.+]] = arith.mulf %[[V]], %[[V]] fastmath<contract> : vector<16xf32>
// CHECK:     %[[NEW:.+]] = arith.addf %[[A]], %[[SQ]] fastmath<reassoc,contract> : vector<16xf32>
// CHECK:     scf.yield %[[NEW]]
// CHECK:   %[[SUM:.+]] = vector.reduction <add>, %[[SUMS]], %[[INIT]] fastmath<reassoc> : vector<16xf32> into f32
// CHECK:   memref.store %[[SUM]], %[[ACC]][%[[C0]], %[[R]]]
// CHECK:   scf.reduce
// CHECK: scf.parallel (%[[R2:.+]]) =
// CHECK:   %[[S:.+]] = memref.load %[[ACC]][%{{.+}}, %[[R2]]]
// CHECK:   %[[MEAN:.+]] = arith.divf %[[S]]
// CHECK:   %[[ROOT:.+]] = math.sqrt
// CHECK:   scf.for %[[J:.+]] =
// CHECK:     %[[XV:.+]] = vector.load %[[X]][%{{.+}}, %[[R2]], %[[J]]]
// CHECK:     %[[WV:.+]] = vector.load %[[W]][%[[J]]]
// CHECK:     %[[RV:.+]] = vector.broadcast %[[ROOT]] : f32 to vector<16xf32>
// CHECK:     %[[NORM:.+]] = arith.divf %[[XV]], %[[RV]] : vector<16xf32>
// CHECK:     %[[Y:.+]] = arith.mulf %[[NORM]], %[[WV]] fastmath<contract> : vector<16xf32>
// CHECK:     vector.store %[[Y]], %[[OUT]][%{{.+}}, %[[R2]], %[[J]]]
// Without threads and vectors: serial scalar loops, the sum still in a
// register.
// SCALAR-LABEL: func.func @rms_norm
// SCALAR-NOT: scf.parallel
// SCALAR-NOT: vector
// SCALAR: %[[SUM:.+]] = scf.for {{.+}} iter_args(%[[A:.+]] = %{{.+}}) -> (f32)
// SCALAR:   arith.addf %[[A]], %{{.+}} fastmath<reassoc,contract> : f32
// SCALAR: memref.store %[[SUM]]
// SCALAR: return
#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#row = affine_map<(d0, d1, d2) -> (d0, d1)>
#col = affine_map<(d0, d1, d2) -> (d2)>
func.func @rms_norm(%x: memref<1x128x768xf32>, %w: memref<768xf32>,
                    %out: memref<1x128x768xf32>, %acc: memref<1x128xf32>) {
  %n = arith.constant 7.680000e+02 : f32
  %eps = arith.constant 9.99999997E-7 : f32
  // expected-remark @below {{loops: parallel over 128 iterations (dims 1), dim 2 in vectors of 16, reduction in registers}}
  linalg.generic {indexing_maps = [#id3, #row], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x : memref<1x128x768xf32>) outs(%acc : memref<1x128xf32>) {
  ^bb0(%in: f32, %o: f32):
    %m = arith.mulf %in, %in : f32
    %a = arith.addf %o, %m : f32
    linalg.yield %a : f32
  }
  // expected-remark @below {{loops: parallel over 128 iterations (dims 1), dim 2 in vectors of 16}}
  linalg.generic {indexing_maps = [#id3, #row, #col, #id3], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%x, %acc, %w : memref<1x128x768xf32>, memref<1x128xf32>, memref<768xf32>) outs(%out : memref<1x128x768xf32>) {
  ^bb0(%in: f32, %s: f32, %g: f32, %o: f32):
    %0 = arith.divf %s, %n : f32
    %1 = arith.addf %0, %eps : f32
    %2 = math.sqrt %1 : f32
    %3 = arith.divf %in, %2 : f32
    %4 = arith.mulf %3, %g : f32
    linalg.yield %4 : f32
  }
  return
}

// -----

// Rows shorter than a vector stay scalar; small nests stay serial unless
// the threshold is lowered.
// CHECK-LABEL: func.func @small
// CHECK-NOT: scf.parallel
// CHECK-NOT: vector
// CHECK: scf.for
// CHECK: scf.for
// CHECK: math.exp {{.+}} : f32
// ALL-LABEL: func.func @small
// ALL: scf.parallel
func.func @small(%a: memref<4x8xf32>, %b: memref<4x8xf32>) {
  // expected-remark @below {{loops: serial, scalar}}
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]}
      ins(%a : memref<4x8xf32>) outs(%b : memref<4x8xf32>) {
  ^bb0(%x: f32, %o: f32):
    %e = math.exp %x : f32
    linalg.yield %e : f32
  }
  return
}

// -----

// A reduction over the outer dimension updates the output in memory,
// vectorized along the parallel inner dimension, and is never threaded
// (its leading dimension is a reduction).
// ALL-LABEL: func.func @column_sum
// ALL-NOT: scf.parallel
// ALL: scf.for %[[I:.+]] =
// ALL:   scf.for %[[J:.+]] = %{{.+}} to %{{.+}} step %{{.+}} {
// ALL:     %[[X:.+]] = vector.load %{{.+}}[%[[I]], %[[J]]] : memref<64x32xf32>, vector<16xf32>
// ALL:     %[[O:.+]] = vector.load %{{.+}}[%[[J]]] : memref<32xf32>, vector<16xf32>
// ALL:     %[[S:.+]] = arith.addf %[[O]], %[[X]]
// ALL:     vector.store %[[S]], %{{.+}}[%[[J]]]
func.func @column_sum(%a: memref<64x32xf32>, %b: memref<32xf32>) {
  // expected-remark @below {{loops: serial, dim 1 in vectors of 16}}
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (j)>], iterator_types = ["reduction", "parallel"]}
      ins(%a : memref<64x32xf32>) outs(%b : memref<32xf32>) {
  ^bb0(%x: f32, %o: f32):
    %s = arith.addf %o, %x : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Several leading parallel dimensions make one linearized parallel loop;
// the innermost dimension stays a serial loop. linalg.index becomes the
// induction variables (and what only depends on them is computed outside
// the inner loop); a non-trivial index expression becomes affine.apply.
// ALL-LABEL: func.func @linearized
// ALL-DAG: %[[C4:.+]] = arith.constant 4 : index
// ALL-DAG: %[[C12:.+]] = arith.constant 12 : index
// ALL: scf.parallel (%[[L:.+]]) = (%{{.+}}) to (%[[C12]])
// ALL:   %[[I1:.+]] = arith.remui %[[L]], %[[C4]]
// ALL:   %[[I0:.+]] = arith.divui %[[L]], %[[C4]]
// ALL:   %[[JI:.+]] = arith.index_cast %[[I1]]
// ALL:   %[[JF:.+]] = arith.sitofp %[[JI]]
// ALL:   scf.for %[[K:.+]] =
// ALL:     %[[FLIP:.+]] = affine.apply #{{.+}}(%[[I0]], %[[I1]], %[[K]])
// ALL:     %[[X:.+]] = memref.load %{{.+}}[%[[I0]], %[[FLIP]], %[[K]]]
// ALL:     arith.addf %[[X]], %[[JF]]
func.func @linearized(%a: memref<3x4x8xf32>, %b: memref<3x4x8xf32>) {
  // expected-remark @below {{loops: serial, scalar}}
  linalg.generic {indexing_maps = [affine_map<(i, j, k) -> (i, -j + 3, k)>, affine_map<(i, j, k) -> (i, j, k)>], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%a : memref<3x4x8xf32>) outs(%b : memref<3x4x8xf32>) {
  ^bb0(%x: f32, %o: f32):
    %j = linalg.index 1 : index
    %ji = arith.index_cast %j : index to i32
    %jf = arith.sitofp %ji : i32 to f32
    %s = arith.addf %x, %jf : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A row of 40: two vectors of 16, then a scalar remainder loop that
// continues from the reduced vector. The neutral element of a maximum is
// -inf; the index of the vector dimension is a vector of lane indices.
// CHECK-LABEL: func.func @remainder
// CHECK: %[[NEG:.+]] = arith.constant dense<0xFF800000> : vector<16xf32>
// CHECK: %[[C32:.+]] = arith.constant 32 : index
// CHECK: %[[VMAX:.+]] = scf.for %[[K:.+]] = %{{.+}} to %[[C32]] step %{{.+}} iter_args(%[[A:.+]] = %[[NEG]]) -> (vector<16xf32>)
// CHECK:   %[[KS:.+]] = vector.broadcast %[[K]] : index to vector<16xindex>
// CHECK:   %[[LANES:.+]] = vector.step : vector<16xindex>
// CHECK:   %[[IDX:.+]] = arith.addi %[[KS]], %[[LANES]] : vector<16xindex>
// CHECK:   arith.index_cast %[[IDX]] : vector<16xindex> to vector<16xi32>
// CHECK:   arith.maximumf %[[A]], %{{.+}} fastmath<reassoc> : vector<16xf32>
// CHECK: %[[PART:.+]] = vector.reduction <maximumf>, %[[VMAX]], %{{.+}} fastmath<reassoc> : vector<16xf32> into f32
// CHECK: %[[C40:.+]] = arith.constant 40 : index
// CHECK: %[[MAX:.+]] = scf.for %[[T:.+]] = %[[C32]] to %[[C40]] step %{{.+}} iter_args(%[[B:.+]] = %[[PART]]) -> (f32)
// CHECK:   memref.load %{{.+}}[%[[T]]] : memref<40xf32>
// CHECK:   arith.maximumf %[[B]], %{{.+}} fastmath<reassoc> : f32
// CHECK: memref.store %[[MAX]]
func.func @remainder(%a: memref<40xf32>, %m: memref<f32>) {
  // expected-remark @below {{loops: serial, dim 0 in vectors of 16 + 8 scalar, reduction in registers}}
  linalg.generic {indexing_maps = [affine_map<(k) -> (k)>, affine_map<(k) -> ()>], iterator_types = ["reduction"]}
      ins(%a : memref<40xf32>) outs(%m : memref<f32>) {
  ^bb0(%x: f32, %o: f32):
    %k = linalg.index 0 : index
    %ki = arith.index_cast %k : index to i32
    %kf = arith.sitofp %ki : i32 to f32
    %y = arith.addf %x, %kf : f32
    %r = arith.maximumf %o, %y : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// Reading a transposed operand is not contiguous along the inner loop:
// scalar loads (LLVM may still vectorize them).
// CHECK-LABEL: func.func @transposed
// CHECK-NOT: vector
// CHECK: memref.load %{{.+}}[%[[J:.+]], %[[I:.+]]] : memref<32x32xf32>
// CHECK: memref.store %{{.+}}, %{{.+}}[%[[I]], %[[J]]]
func.func @transposed(%a: memref<32x32xf32>, %b: memref<32x32xf32>) {
  // expected-remark @below {{loops: serial, scalar}}
  linalg.transpose ins(%a : memref<32x32xf32>) outs(%b : memref<32x32xf32>) permutation = [1, 0]
  return
}

// -----

// Named ops lower the same way; a fill stores its scalar (broadcast to a
// vector), and an op with an empty iteration space disappears.
// CHECK-LABEL: func.func @fill
// CHECK-SAME: (%[[B:.+]]: memref<2x1x32xf32>, %{{.+}}: memref<0x8xf32>)
// CHECK-DAG: %[[ONE:.+]] = arith.constant 1.000000e+00 : f32
// CHECK-DAG: %[[C0:.+]] = arith.constant 0 : index
// CHECK: scf.for %[[I:.+]] =
// CHECK:   scf.for %[[J:.+]] =
// CHECK:     %[[ONES:.+]] = vector.broadcast %[[ONE]] : f32 to vector<16xf32>
// CHECK:     vector.store %[[ONES]], %[[B]][%[[I]], %[[C0]], %[[J]]]
// CHECK-NOT: linalg
// CHECK: return
func.func @fill(%b: memref<2x1x32xf32>, %e: memref<0x8xf32>) {
  %c = arith.constant 1.0 : f32
  // expected-remark @below {{loops: serial, dim 2 in vectors of 16}}
  linalg.fill ins(%c : f32) outs(%b : memref<2x1x32xf32>)
  linalg.fill ins(%c : f32) outs(%e : memref<0x8xf32>)
  return
}

// -----

// A reduction whose output is also read as an input keeps the output in
// memory (no register accumulation across an alias) and stays scalar.
// CHECK-LABEL: func.func @aliased
// CHECK-NOT: iter_args
// CHECK-NOT: vector
// CHECK: return
func.func @aliased(%a: memref<4x32xf32>) {
  %row = memref.subview %a[0, 0] [4, 1] [1, 1] : memref<4x32xf32> to memref<4xf32, strided<[32]>>
  // expected-remark @below {{loops: serial, scalar}}
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>], iterator_types = ["parallel", "reduction"]}
      ins(%a : memref<4x32xf32>) outs(%row : memref<4xf32, strided<[32]>>) {
  ^bb0(%x: f32, %o: f32):
    %s = arith.addf %o, %x : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// The widest element type in memory sets the lane count: 16 lanes (512
// bits of f32) for bf16 read and f32 written; 32 with bf16 alone.
// CHECK-LABEL: func.func @bf16
// CHECK: vector.load {{.+}} : memref<8x64xbf16>, vector<16xbf16>
// CHECK: arith.extf {{.+}} : vector<16xbf16> to vector<16xf32>
// CHECK: vector.store {{.+}} : memref<8x64xf32>, vector<16xf32>
// CHECK-LABEL: func.func @bf16_only
// CHECK: vector.load {{.+}} : memref<8x64xbf16>, vector<32xbf16>
// CHECK: arith.negf {{.+}} : vector<32xbf16>
func.func @bf16(%a: memref<8x64xbf16>, %b: memref<8x64xf32>) {
  // expected-remark @below {{loops: serial, dim 1 in vectors of 16}}
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]}
      ins(%a : memref<8x64xbf16>) outs(%b : memref<8x64xf32>) {
  ^bb0(%x: bf16, %o: f32):
    %e = arith.extf %x : bf16 to f32
    linalg.yield %e : f32
  }
  return
}

func.func @bf16_only(%a: memref<8x64xbf16>, %b: memref<8x64xbf16>) {
  // expected-remark @below {{loops: serial, dim 1 in vectors of 32}}
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]}
      ins(%a : memref<8x64xbf16>) outs(%b : memref<8x64xbf16>) {
  ^bb0(%x: bf16, %o: bf16):
    %e = arith.negf %x : bf16
    linalg.yield %e : bf16
  }
  return
}

// -----

// Attention's P x V: the reduction over keys (k) reads V across rows, so
// the output's dimension d, along which V and the output are contiguous,
// becomes the innermost (vector) loop; the output is then updated in
// memory for every key, and rows are threaded.
// ALL-LABEL: func.func @probs_times_values
// ALL: scf.parallel (%[[I:.+]]) =
// ALL:   scf.for %[[K:.+]] =
// ALL:     %[[P:.+]] = memref.load %{{.+}}[%[[I]], %[[K]]] : memref<32x48xf32>
// ALL:     scf.for %[[D:.+]] = %{{.+}} to %{{.+}} step %{{.+}} {
// ALL:       %[[V:.+]] = vector.load %{{.+}}[%[[K]], %[[D]]] : memref<48x64xf32>, vector<16xf32>
// ALL:       %[[O:.+]] = vector.load %{{.+}}[%[[I]], %[[D]]] : memref<32x64xf32>, vector<16xf32>
// ALL:       %[[PV:.+]] = vector.broadcast %[[P]] : f32 to vector<16xf32>
// ALL:       %[[M:.+]] = arith.mulf %[[PV]], %[[V]]
// ALL:       %[[S:.+]] = arith.addf %[[O]], %[[M]]
// ALL:       vector.store %[[S]], %{{.+}}[%[[I]], %[[D]]]
func.func @probs_times_values(%p: memref<32x48xf32>, %v: memref<48x64xf32>, %o: memref<32x64xf32>) {
  // expected-remark @below {{loops: parallel over 32 iterations (dims 0), dim 1 (moved innermost) in vectors of 16}}
  linalg.generic {indexing_maps = [affine_map<(i, d, k) -> (i, k)>, affine_map<(i, d, k) -> (k, d)>, affine_map<(i, d, k) -> (i, d)>], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%p, %v : memref<32x48xf32>, memref<48x64xf32>) outs(%o : memref<32x64xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  return
}
