// RUN: tx-opt %s --split-input-file --tx-emit-entry-points --verify-diagnostics -o /dev/null
// expected-error @+1 {{tx-emit-entry-points: run tx-weights-to-arguments and lower to the LLVM dialect first}}
module {
  llvm.func @main() {
    llvm.return
  }
}

// -----

module attributes {tx.signature = "{}"} {
  // expected-error @+1 {{tx-emit-entry-points: the entry function must take bare pointers (static shapes, use-bare-ptr-memref-call-conv), got 'i64'}}
  llvm.func @txc_main(%a: i64) {
    llvm.return
  }
}
