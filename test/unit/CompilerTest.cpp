//===- CompilerTest.cpp - the compiler API (Session, Invocation) ----------===//
//
// The embedding API without the command line: IR kept in memory, stage
// events in order with the IR after each stage, a module given by the host,
// errors as values through the message handler (a missing file, a bad
// option, a malformed module, a bad pipeline), and no output left behind
// by a failed compilation.
//
//===----------------------------------------------------------------------===//

#include "txc/Compiler/Compiler.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <string>
#include <vector>

using namespace txc;
using ::testing::HasSubstr;

namespace {

/// A two-input model: (x + y) * x over f32 tensors, with a role-less
/// signature (no generation).
constexpr const char *kModel = R"mlir(
func.func @main(%x: tensor<2x3xf32> {tx.name = "x"},
                %y: tensor<2x3xf32> {tx.name = "y"}) -> tensor<2x3xf32> {
  %s = arith.addf %x, %y : tensor<2x3xf32>
  %p = arith.mulf %s, %x : tensor<2x3xf32>
  return %p : tensor<2x3xf32>
}
)mlir";

/// A fresh temporary directory, removed at the end of the test.
class TempDir {
public:
  TempDir() {
    EXPECT_FALSE(llvm::sys::fs::createUniqueDirectory("txc-compiler-test",
                                                      path));
  }
  ~TempDir() { llvm::sys::fs::remove_directories(path); }
  std::string file(llvm::StringRef name, llvm::StringRef contents = "") {
    llvm::SmallString<256> p(path);
    llvm::sys::path::append(p, name);
    if (!contents.empty()) {
      std::error_code ec;
      llvm::raw_fd_ostream os(p, ec);
      os << contents;
    }
    return std::string(p);
  }
  std::vector<std::string> entries() {
    std::vector<std::string> out;
    std::error_code ec;
    for (llvm::sys::fs::directory_iterator it(path, ec), end;
         !ec && it != end; it.increment(ec))
      out.push_back(llvm::sys::path::filename(it->path()).str());
    return out;
  }
  llvm::SmallString<256> path;
};

struct Recorder {
  std::vector<Message> messages;
  std::vector<std::string> events;
  std::vector<std::string> irAfter;

  void attach(Invocation &inv) {
    inv.setMessageHandler([this](const Message &m) { messages.push_back(m); });
    inv.setStageHandler([this](const StageEvent &e) {
      const char *kind = e.kind == StageEvent::Kind::Begin ? "begin "
                         : e.kind == StageEvent::Kind::End ? "end "
                                                           : "step ";
      events.push_back(kind + e.name.str());
      if (e.kind == StageEvent::Kind::End && e.module) {
        std::string text;
        llvm::raw_string_ostream os(text);
        mlir::ModuleOp(e.module)->print(os);
        irAfter.push_back(text);
      }
    });
  }
  std::string errors() const {
    std::string all;
    for (const Message &m : messages)
      if (m.severity == Severity::Error)
        all += m.location + ": " + m.text + "\n";
    return all;
  }
};

TEST(CompilerAPI, KeepsIRInMemoryAndReportsStages) {
  TempDir dir;
  CompileOptions options;
  options.input.path = dir.file("model.mlir", kModel);
  options.output.path = "";
  options.output.stop = Stage::Linalg;
  Session session;
  Invocation inv(session, options);
  Recorder rec;
  rec.attach(inv);
  ASSERT_TRUE(mlir::succeeded(inv.run())) << rec.errors();
  EXPECT_THAT(inv.outputText(), HasSubstr("linalg.generic"));
  EXPECT_THAT(rec.events,
              ::testing::ElementsAre("begin parse", "end parse", "begin tx",
                                     "end tx", "begin linalg", "end linalg"));
  ASSERT_EQ(rec.irAfter.size(), 2u);
  EXPECT_THAT(rec.irAfter[0], HasSubstr("arith.mulf"));
  EXPECT_THAT(rec.irAfter[1], HasSubstr("linalg.generic"));
  EXPECT_TRUE(inv.writtenFiles().empty());
  // Nothing but the input in the directory.
  EXPECT_THAT(dir.entries(), ::testing::ElementsAre("model.mlir"));
}

TEST(CompilerAPI, CompilesAHostModule) {
  Session session;
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(kModel, &session.getContext());
  ASSERT_TRUE(module);
  CompileOptions options;
  options.output.path = "";
  options.output.stop = Stage::Tx;
  Invocation inv(session, options);
  inv.setInputModule(*module);
  Recorder rec;
  rec.attach(inv);
  ASSERT_TRUE(mlir::succeeded(inv.run())) << rec.errors();
  EXPECT_THAT(inv.outputText(), HasSubstr("func.func @main"));
  // The host keeps its module unchanged.
  std::string text;
  llvm::raw_string_ostream os(text);
  module->print(os);
  EXPECT_THAT(text, HasSubstr("arith.addf"));
}

TEST(CompilerAPI, MissingInputIsAnError) {
  Session session;
  CompileOptions options;
  options.input.path = "/nonexistent/model.onnx";
  Invocation inv(session, options);
  Recorder rec;
  rec.attach(inv);
  EXPECT_TRUE(mlir::failed(inv.run()));
  ASSERT_EQ(rec.messages.size(), 1u);
  EXPECT_EQ(rec.messages[0].severity, Severity::Error);
  EXPECT_THAT(rec.messages[0].text,
              HasSubstr("cannot open '/nonexistent/model.onnx'"));
  EXPECT_THAT(inv.errorText(), HasSubstr("no such file"));
}

TEST(CompilerAPI, BadOptionsAreErrors) {
  TempDir dir;
  std::string input = dir.file("model.mlir", kModel);
  Session session;
  auto failsWith = [&](CompileOptions options, const char *expected) {
    options.input.path = input;
    Invocation inv(session, options);
    Recorder rec;
    rec.attach(inv);
    EXPECT_TRUE(mlir::failed(inv.run())) << expected;
    EXPECT_THAT(rec.errors(), HasSubstr(expected));
  };
  CompileOptions options;
  options.target.target = "gpu";
  failsWith(options, "--target=gpu is not supported");
  options = CompileOptions();
  options.target.cpu.optLevel = 7;
  failsWith(options, "-O7 is not an optimization level");
  options = CompileOptions();
  options.output.path = "";
  options.output.stop = Stage::Library;
  failsWith(options, "needs an output file");
  options = CompileOptions();
  options.generation.maxSeq = -3;
  failsWith(options, "must not be negative");
  options = CompileOptions();
  options.input.shapes = {{"x", {2, -5}}};
  failsWith(options, "--shape x");
  options = CompileOptions();
  options.graph.pipeline = "builtin.module(no-such-pass)";
  failsWith(options, "--pipeline");
}

TEST(CompilerAPI, DiagnosticsCarryLocations) {
  TempDir dir;
  Session session;
  CompileOptions options;
  options.input.path = dir.file("bad.mlir", "func.func @main( {\n");
  options.output.path = "";
  Invocation inv(session, options);
  Recorder rec;
  rec.attach(inv);
  EXPECT_TRUE(mlir::failed(inv.run()));
  ASSERT_FALSE(rec.messages.empty());
  EXPECT_EQ(rec.messages[0].severity, Severity::Error);
  EXPECT_THAT(rec.messages[0].location, HasSubstr("bad.mlir:1:"));
}

TEST(CompilerAPI, FailedCompilationLeavesNoOutput) {
  TempDir dir;
  Session session;
  CompileOptions options;
  options.input.path = dir.file("model.mlir", kModel);
  options.output.path = dir.file("out.mlir");
  // A pass that fails on this model: the KV cache needs token ids.
  options.graph.pipeline = "builtin.module(tx-use-kv-cache{capacity=8})";
  Invocation inv(session, options);
  Recorder rec;
  rec.attach(inv);
  EXPECT_TRUE(mlir::failed(inv.run()));
  EXPECT_THAT(rec.errors(), HasSubstr("token ids"));
  EXPECT_THAT(dir.entries(), ::testing::ElementsAre("model.mlir"));

  // The same invocation options without the failing pass write the file.
  options.graph.pipeline.clear();
  Invocation ok(session, options);
  ASSERT_TRUE(mlir::succeeded(ok.run()));
  EXPECT_THAT(ok.writtenFiles(), ::testing::ElementsAre(options.output.path));
  EXPECT_TRUE(llvm::sys::fs::exists(options.output.path));
}

TEST(CompilerAPI, StageNames) {
  for (Stage s : {Stage::Import, Stage::Tx, Stage::Linalg, Stage::LLVM,
                  Stage::Object, Stage::Library})
    EXPECT_EQ(parseStageName(stageName(s)), s);
  EXPECT_FALSE(parseStageName("bogus"));
  EXPECT_EQ(stageForOutput("a/model.so"), Stage::Library);
  EXPECT_EQ(stageForOutput("model.ll"), Stage::LLVM);
  EXPECT_EQ(stageForOutput("model.mlir"), Stage::Tx);
  std::pair<std::string, std::vector<int64_t>> shape;
  EXPECT_EQ(parseShapeText("input_ids=1x?", shape), "");
  EXPECT_EQ(shape.first, "input_ids");
  EXPECT_THAT(shape.second, ::testing::ElementsAre(1, -1));
  EXPECT_NE(parseShapeText("input_ids", shape), "");
}

} // namespace
