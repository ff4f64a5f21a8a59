// GPT-2's reversible byte <-> unicode alphabet used by byte-level BPE vocabularies:
// printable Latin-1 bytes stand for themselves, the other 68 bytes map to U+0100.. in
// order (space 0x20 -> "Ġ" U+0120, newline 0x0A -> "Ċ" U+010A).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tern::tok {

// The code point byte `b` is written as.
char32_t byte_to_codepoint(uint8_t b);
// The byte a code point of the alphabet stands for, or nullopt if it is not in it.
std::optional<uint8_t> codepoint_to_byte(char32_t cp);

// "Ġthe" -> " the". Characters outside the alphabet are kept as their UTF-8 bytes (tokens
// of a byte-level vocab never have them; added tokens may). Sets *all_mapped to whether every
// character was in the alphabet.
std::string unicode_token_to_bytes(std::string_view token, bool* all_mapped = nullptr);
// " the" -> "Ġthe".
std::string bytes_to_unicode_token(std::string_view bytes);

}  // namespace tern::tok
