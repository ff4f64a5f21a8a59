// Stop strings on streamed text: passes text through, holding back only the tail that
// could be the start of a stop string, and cuts the reply just before the first match.
#pragma once
#include <string>
#include <vector>

namespace tern::server {

class StopText {
 public:
  explicit StopText(std::vector<std::string> stops);
  // Adds generated text; returns the part that is safe to send now.
  std::string push(const std::string& text);
  // The held-back tail (call when the reply ends for another reason).
  std::string flush();
  bool matched() const { return matched_; }

 private:
  std::vector<std::string> stops_;
  std::string held_;
  bool matched_ = false;
};

}  // namespace tern::server
