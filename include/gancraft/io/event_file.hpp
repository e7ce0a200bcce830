#pragma once
/// @file gancraft/io/event_file.hpp
/// TensorBoard event files written without TensorFlow or protobuf: TFRecord framing (length,
/// masked CRC-32C, payload, masked CRC-32C) around `Event` messages encoded by hand. Only the
/// fields TensorBoard reads for scalars, images, text and restarts are written. The field
/// numbers are those of tensorflow/core/util/event.proto and framework/summary.proto.
/// Free of torch headers.

#include <gancraft/error.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace gancraft::detail {

/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as TFRecord uses it.
inline uint32_t crc32c(std::string_view bytes) {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1U) ? 0x82F63B78U ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  uint32_t c = 0xFFFFFFFFU;
  for (const char ch : bytes) c = table[(c ^ static_cast<uint8_t>(ch)) & 0xFFU] ^ (c >> 8);
  return c ^ 0xFFFFFFFFU;
}

/// TFRecord's masked CRC: rotated right by 15 bits plus a constant.
inline uint32_t masked_crc32c(std::string_view bytes) {
  const uint32_t c = crc32c(bytes);
  return ((c >> 15) | (c << 17)) + 0xA282EAD8U;
}

/// Appends the `n` low bytes of `v` to `out`, little-endian (protobuf's fixed fields, TFRecord).
inline void append_little_endian(std::string& out, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFFU));
}

/// Protocol-buffer wire encoding of the few field kinds an event needs.
class ProtoWriter {
 public:
  /// Varint field (int32, int64, enum).
  ProtoWriter& varint(int field, uint64_t v) {
    key(field, 0);
    raw_varint(v);
    return *this;
  }
  /// 64-bit field (double).
  ProtoWriter& fixed_double(int field, double v) {
    key(field, 1);
    uint64_t bits = 0;
    std::memcpy(&bits, &v, sizeof bits);
    append_little_endian(out_, bits, 8);
    return *this;
  }
  /// 32-bit field (float).
  ProtoWriter& fixed_float(int field, float v) {
    key(field, 5);
    uint32_t bits = 0;
    std::memcpy(&bits, &v, sizeof bits);
    append_little_endian(out_, bits, 4);
    return *this;
  }
  /// Length-delimited field (string, bytes, an embedded message's encoding).
  ProtoWriter& bytes(int field, std::string_view v) {
    key(field, 2);
    raw_varint(v.size());
    out_.append(v);
    return *this;
  }
  const std::string& str() const { return out_; }  ///< the encoded message

 private:
  void key(int field, int wire_type) { raw_varint((static_cast<uint64_t>(field) << 3) | static_cast<uint64_t>(wire_type)); }
  void raw_varint(uint64_t v) {
    while (v >= 0x80U) {
      out_.push_back(static_cast<char>((v & 0x7FU) | 0x80U));
      v >>= 7;
    }
    out_.push_back(static_cast<char>(v));
  }
  std::string out_;
};

/// One TFRecord: length, its masked CRC, the payload, its masked CRC (little-endian).
inline std::string tf_record(std::string_view payload) {
  std::string record;
  append_little_endian(record, payload.size(), 8);
  append_little_endian(record, masked_crc32c(record), 4);  // of the 8 length bytes
  record.append(payload);
  append_little_endian(record, masked_crc32c(payload), 4);
  return record;
}

}  // namespace gancraft::detail

namespace gancraft::io {

/// Appends TensorBoard events to one file, flushing each, so a killed process keeps every
/// event written before. The file begins with the `file_version` event ("brain.Event:2") that
/// makes TensorBoard honour restarts (`session_start`).
/// @code
/// gc::io::EventFileWriter events("run/tb/events.out.tfevents.1700000000.host");
/// events.scalar("d_loss", 100, 0.69);
/// @endcode
class EventFileWriter {
 public:
  /// Creates (truncates) `path`; `IoError` naming it when it cannot be written.
  explicit EventFileWriter(std::filesystem::path path) : path_(std::move(path)) {
    if (path_.has_parent_path()) std::filesystem::create_directories(path_.parent_path());
    out_.open(path_, std::ios::binary | std::ios::trunc);
    GANCRAFT_CHECK(out_.good(), IoError, path_.string(), ": cannot open for writing");
    event(0, [](detail::ProtoWriter& e) { e.bytes(3, "brain.Event:2"); });
  }

  /// A scalar under `tag` (TensorBoard's Scalars tab), stored as float.
  void scalar(const std::string& tag, int64_t step, double value) {
    detail::ProtoWriter v;
    v.bytes(1, tag).fixed_float(2, static_cast<float>(value));
    summary(step, v.str());
  }

  /// An image under `tag` (Images tab): `png` the encoded file, `channels` 1 (grey) or 3 (RGB).
  void image(const std::string& tag, int64_t step, std::string_view png, int64_t height, int64_t width,
             int64_t channels) {
    detail::ProtoWriter img;
    img.varint(1, static_cast<uint64_t>(height)).varint(2, static_cast<uint64_t>(width));
    img.varint(3, static_cast<uint64_t>(channels)).bytes(4, png);
    detail::ProtoWriter v;
    v.bytes(1, tag).bytes(4, img.str());
    summary(step, v.str());
  }

  /// Markdown text under `tag` (Text tab): a string tensor with the "text" plugin's metadata.
  void text(const std::string& tag, int64_t step, std::string_view markdown) {
    detail::ProtoWriter plugin, metadata, tensor, v;
    plugin.bytes(1, "text");
    metadata.bytes(1, plugin.str());
    tensor.varint(1, 7 /* DT_STRING */).bytes(2, "" /* scalar shape */).bytes(8, markdown);
    v.bytes(1, tag).bytes(9, metadata.str()).bytes(8, tensor.str());
    summary(step, v.str());
  }

  /// A restart at `step`: TensorBoard drops every event of an earlier file at this step or
  /// later (written after the checkpoint the run resumed from).
  void session_start(int64_t step) {
    event(step, [](detail::ProtoWriter& e) {
      detail::ProtoWriter log;
      log.varint(1, 1 /* SessionLog::START */);
      e.bytes(7, log.str());
    });
  }

  const std::filesystem::path& path() const { return path_; }  ///< the event file

 private:
  void summary(int64_t step, const std::string& value) {
    event(step, [&](detail::ProtoWriter& e) {
      detail::ProtoWriter s;
      s.bytes(1, value);
      e.bytes(5, s.str());
    });
  }
  template <class F>
  void event(int64_t step, F&& what) {
    const double wall = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    detail::ProtoWriter e;
    e.fixed_double(1, wall).varint(2, static_cast<uint64_t>(step));
    what(e);
    out_ << detail::tf_record(e.str());
    out_.flush();
    GANCRAFT_CHECK(out_.good(), IoError, path_.string(), ": write failed");
  }

  std::filesystem::path path_;
  std::ofstream out_;
};

}  // namespace gancraft::io
