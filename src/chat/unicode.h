// Text as Python's str sees it: code points, case mappings and character classes. Jinja runs
// on Python strings, so indexing, length, slicing, strip(), upper() and friends work on code
// points with Python's (full, Unicode) rules; this file gives the interpreter the same view.
// The Unicode data comes from libunistring (1.0: Unicode 14.0.0, the version of Python 3.11
// that transformers' renders were made with); unicode.cpp composes it the way CPython does.
#pragma once

#include <string>
#include <string_view>

namespace tern::chat::unicode {

// UTF-8 -> code points. A byte that is not part of a valid UTF-8 sequence becomes
// U+DC80..U+DCFF (Python's "surrogateescape"), which encode() turns back into that byte,
// so invalid input round-trips unchanged instead of being lost or crashing.
std::u32string decode(std::string_view text);
void append_utf8(std::string& out, char32_t cp);  // U+DC80..U+DCFF -> the escaped byte
std::string encode(std::u32string_view cps);
// Number of code points (len() of the Python string).
std::size_t length(std::string_view text);

bool is_space(char32_t cp);           // str.isspace()
bool is_cased(char32_t cp);           // Unicode "Cased"
bool is_case_ignorable(char32_t cp);  // Unicode "Case_Ignorable"
bool is_printable(char32_t cp);       // str.isprintable() (what repr() leaves unescaped)

// Python's str predicates on a whole string (false for "", as in Python).
bool isspace(std::string_view text);
bool isalpha(std::string_view text);
bool isdigit(std::string_view text);
bool isalnum(std::string_view text);
bool islower(std::string_view text);
bool isupper(std::string_view text);

// Python's str methods (full case mappings, final-sigma rule in lower()).
std::string upper(std::string_view text);
std::string lower(std::string_view text);
std::string capitalize(std::string_view text);  // str.capitalize()
std::string title(std::string_view text);       // str.title()
// Jinja's `title` filter: words begin after whitespace, '-', '(', '{', '[' or '<'.
std::string jinja_title(std::string_view text);

// str.strip() / lstrip() / rstrip(): with chars == nullptr, whitespace per is_space().
std::string strip(std::string_view text, const std::string* chars, bool left, bool right);

}  // namespace tern::chat::unicode
