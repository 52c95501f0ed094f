//===- Npy.cpp - read and write NumPy .npy files --------------------------===//
//
// A .npy file is the magic "\x93NUMPY", a major and minor version byte, the
// header length (2 bytes little-endian in version 1.0, 4 bytes in 2.0), a
// header that is a Python dict literal with the keys 'descr',
// 'fortran_order' and 'shape', padded with spaces to a 64-byte boundary and
// ended by a newline, then the raw elements.
//
//===----------------------------------------------------------------------===//

#include "txc/Support/Npy.h"
#include "txc/Support/Files.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/Alignment.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>
#include <optional>

using namespace llvm;

namespace txc {

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicSize = 6;
/// numpy aligns the start of the data to this many bytes.
constexpr size_t kHeaderAlignment = 64;

/// A cursor over the header text, a Python dict literal such as
/// {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }.
class HeaderParser {
public:
  explicit HeaderParser(StringRef text) : rest(text) {}

  void skipSpace() { rest = rest.ltrim(" \t\r\n"); }
  bool consume(StringRef token) {
    skipSpace();
    return rest.consume_front(token);
  }
  bool atEnd() {
    skipSpace();
    return rest.empty();
  }
  bool peek(char c) {
    skipSpace();
    return !rest.empty() && rest.front() == c;
  }

  /// A quoted string without escapes, as numpy writes them.
  std::optional<std::string> string() {
    skipSpace();
    if (rest.empty() || (rest.front() != '\'' && rest.front() != '"'))
      return std::nullopt;
    char quote = rest.front();
    size_t end = rest.find(quote, 1);
    if (end == StringRef::npos)
      return std::nullopt;
    std::string value = rest.slice(1, end).str();
    rest = rest.drop_front(end + 1);
    return value;
  }

  std::optional<bool> boolean() {
    if (consume("True"))
      return true;
    if (consume("False"))
      return false;
    return std::nullopt;
  }

  /// A tuple (or list) of non-negative integers: (), (3,), (2, 3).
  std::optional<SmallVector<int64_t>> shape() {
    char close;
    if (consume("("))
      close = ')';
    else if (consume("["))
      close = ']';
    else
      return std::nullopt;
    SmallVector<int64_t> dims;
    while (!consume(StringRef(&close, 1))) {
      skipSpace();
      size_t digits = rest.find_first_not_of("0123456789");
      StringRef number = rest.take_front(digits);
      uint64_t value;
      if (number.empty() || number.getAsInteger(10, value) ||
          value > static_cast<uint64_t>(INT64_MAX))
        return std::nullopt;
      rest = rest.drop_front(number.size());
      dims.push_back(static_cast<int64_t>(value));
      if (!consume(",") && !peek(close))
        return std::nullopt;
    }
    return dims;
  }

  /// Skips any other value (such as a structured dtype's list) up to the
  /// next top-level ',' or '}'.
  void skipValue() {
    int depth = 0;
    while (!rest.empty()) {
      char c = rest.front();
      if (depth == 0 && (c == ',' || c == '}'))
        return;
      if (c == '(' || c == '[' || c == '{')
        ++depth;
      else if (c == ')' || c == ']' || c == '}')
        --depth;
      rest = rest.drop_front();
    }
  }

private:
  StringRef rest;
};

/// Number of bytes of `shape` elements of `elementSize`, or nullopt on
/// overflow.
std::optional<uint64_t> dataSize(ArrayRef<int64_t> shape,
                                 unsigned elementSize) {
  uint64_t size = elementSize;
  for (int64_t d : shape) {
    if (d < 0 || (d != 0 && size > UINT64_MAX / static_cast<uint64_t>(d)))
      return std::nullopt;
    size *= static_cast<uint64_t>(d);
  }
  return size;
}

std::string formatShape(ArrayRef<int64_t> shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

} // namespace

unsigned npyDTypeSize(StringRef dtype) {
  return StringSwitch<unsigned>(dtype)
      .Cases({"<f8", "<i8"}, 8)
      .Cases({"<f4", "<i4"}, 4)
      .Cases({"<f2", "<i2", "<u2"}, 2)
      .Cases({"|i1", "|u1", "|b1"}, 1)
      .Default(0);
}

StringRef npySupportedDTypes() {
  return "<f4, <f8, <f2, <i8, <i4, <i2, <u2, |i1, |u1, |b1";
}

Expected<NpyArray> readNpy(StringRef path) {
  auto bufferOr = readRegularFile(path);
  if (!bufferOr)
    return bufferOr.takeError();
  std::unique_ptr<MemoryBuffer> buffer = std::move(*bufferOr);
  StringRef bytes = buffer->getBuffer();
  auto bad = [&](const Twine &why) {
    return createStringError("'%s' %s", path.str().c_str(), why.str().c_str());
  };

  if (bytes.size() < kMagicSize + 2 ||
      std::memcmp(bytes.data(), kMagic, kMagicSize) != 0)
    return bad("is not a .npy file (it does not start with \\x93NUMPY)");
  unsigned major = static_cast<uint8_t>(bytes[6]),
           minor = static_cast<uint8_t>(bytes[7]);
  if (major != 1 && major != 2)
    return bad("has .npy format version " + Twine(major) + "." + Twine(minor) +
               "; only versions 1.0 and 2.0 are read");
  size_t lengthSize = major == 1 ? 2 : 4;
  size_t prefix = kMagicSize + 2 + lengthSize;
  if (bytes.size() < prefix)
    return bad("is truncated inside its header");
  uint64_t headerSize = 0;
  for (size_t i = 0; i < lengthSize; ++i)
    headerSize |= static_cast<uint64_t>(static_cast<uint8_t>(bytes[8 + i]))
                  << (8 * i);
  if (headerSize > bytes.size() - prefix)
    return bad("is truncated inside its header (the header is " +
               Twine(headerSize) + " bytes, the file ends after " +
               Twine(bytes.size() - prefix) + ")");
  StringRef header = bytes.substr(prefix, headerSize);

  // The header dict.
  std::optional<std::string> descr;
  std::optional<bool> fortranOrder;
  std::optional<SmallVector<int64_t>> shape;
  bool structured = false;
  HeaderParser parser(header);
  auto malformed = [&](const Twine &why) {
    return bad("has a malformed header (" + why + "): " + header.trim());
  };
  if (!parser.consume("{"))
    return malformed("not a dict");
  while (!parser.consume("}")) {
    std::optional<std::string> key = parser.string();
    if (!key || !parser.consume(":"))
      return malformed("expected 'key': value");
    if (*key == "descr") {
      descr = parser.string();
      if (!descr) {
        structured = true;
        parser.skipValue();
      }
    } else if (*key == "fortran_order") {
      fortranOrder = parser.boolean();
      if (!fortranOrder)
        return malformed("'fortran_order' is not True or False");
    } else if (*key == "shape") {
      shape = parser.shape();
      if (!shape)
        return malformed("'shape' is not a tuple of non-negative integers");
    } else {
      return malformed("unexpected key '" + *key + "'");
    }
    if (!parser.consume(",") && !parser.peek('}'))
      return malformed("expected ',' or '}'");
  }
  if (!parser.atEnd())
    return malformed("text after the dict");
  if ((!descr && !structured) || !fortranOrder || !shape)
    return malformed("it needs 'descr', 'fortran_order' and 'shape'");
  if (structured)
    return bad("has a structured dtype, which is not supported (supported: " +
               npySupportedDTypes() + ")");
  if (*fortranOrder)
    return bad("is in Fortran order; only C order is supported (save "
               "np.ascontiguousarray(a))");

  // Canonical dtype: one-byte types carry '|' (numpy's "not applicable"
  // byte order); '<' and '=' are little-endian on the hosts txc supports.
  std::string dtype = *descr;
  if (dtype.size() >= 2 && (dtype[0] == '<' || dtype[0] == '=' ||
                            dtype[0] == '|' || dtype[0] == '>')) {
    bool oneByte = dtype.substr(1) == "i1" || dtype.substr(1) == "u1" ||
                   dtype.substr(1) == "b1";
    if (dtype[0] == '>' && !oneByte)
      return bad("holds big-endian data ('" + *descr +
                 "'); only little-endian is supported (save "
                 "a.astype(a.dtype.newbyteorder('<')))");
    dtype[0] = oneByte ? '|' : '<';
  }
  unsigned elementSize = npyDTypeSize(dtype);
  if (!elementSize)
    return bad("has dtype '" + *descr +
               "', which is not supported (supported: " + npySupportedDTypes() +
               ")");

  std::optional<uint64_t> size = dataSize(*shape, elementSize);
  if (!size)
    return bad("has shape " + formatShape(*shape) + ", too large to address");
  uint64_t available = bytes.size() - prefix - headerSize;
  if (available < *size)
    return bad("is truncated: shape " + formatShape(*shape) + " of " + dtype +
               " needs " + Twine(*size) + " bytes of data, the file has " +
               Twine(available));
  if (available > *size)
    return bad("has " + Twine(available - *size) +
               " bytes after the data of shape " + formatShape(*shape) +
               " of " + dtype);

  NpyArray array;
  array.dtype = std::move(dtype);
  array.shape = std::move(*shape);
  const char *data = bytes.data() + prefix + headerSize;
  if (reinterpret_cast<uintptr_t>(data) % elementSize != 0) {
    std::unique_ptr<WritableMemoryBuffer> copy =
        WritableMemoryBuffer::getNewUninitMemBuffer(*size, path,
                                                    Align(kHeaderAlignment));
    if (!copy)
      return bad("is too large to read into memory");
    std::memcpy(copy->getBufferStart(), data, *size);
    data = copy->getBufferStart();
    buffer = std::move(copy);
  }
  array.data = ArrayRef<char>(data, *size);
  array.buffer = std::move(buffer);
  return std::move(array);
}

Error writeNpy(StringRef path, StringRef dtype, ArrayRef<int64_t> shape,
               ArrayRef<char> data) {
  unsigned elementSize = npyDTypeSize(dtype);
  if (!elementSize)
    return createStringError("cannot write '%s': unsupported dtype '%s'",
                             path.str().c_str(), dtype.str().c_str());
  std::optional<uint64_t> size = dataSize(shape, elementSize);
  if (!size || *size != data.size())
    return createStringError(
        "cannot write '%s': %zu bytes do not match shape %s of %s",
        path.str().c_str(), data.size(), formatShape(shape).c_str(),
        dtype.str().c_str());

  std::string header =
      "{'descr': '" + dtype.str() + "', 'fortran_order': False, 'shape': (";
  for (size_t i = 0; i < shape.size(); ++i)
    header += (i ? ", " : "") + std::to_string(shape[i]);
  header += shape.size() == 1 ? ",), }" : "), }";
  // Pad with spaces so that the data starts on a 64-byte boundary; the
  // header ends with a newline.
  unsigned major = 1;
  size_t prefix = kMagicSize + 2 + 2;
  if (alignTo(prefix + header.size() + 1, kHeaderAlignment) - prefix >
      UINT16_MAX) {
    major = 2;
    prefix = kMagicSize + 2 + 4;
  }
  header.append(alignTo(prefix + header.size() + 1, kHeaderAlignment) - prefix -
                    header.size() - 1,
                ' ');
  header += '\n';

  std::error_code ec;
  raw_fd_ostream out(path, ec, sys::fs::OF_None);
  if (ec)
    return createStringError(ec, "cannot write '%s': %s", path.str().c_str(),
                             ec.message().c_str());
  out.write(kMagic, kMagicSize);
  out << static_cast<char>(major) << '\0';
  for (size_t i = 0; i < prefix - kMagicSize - 2; ++i)
    out << static_cast<char>((header.size() >> (8 * i)) & 0xff);
  out << header;
  out.write(data.data(), data.size());
  out.close();
  if (out.has_error())
    return createStringError(out.error(), "cannot write '%s': %s",
                             path.str().c_str(), out.error().message().c_str());
  return Error::success();
}

} // namespace txc
