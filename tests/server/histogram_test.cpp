// server::Histogram: which bucket a value lands in (Prometheus' `le`: bound >= value), the
// sum and count, and the text rendering read back: cumulative buckets, +Inf == _count.
#include "server/histogram.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>
#include "prom_text.h"

namespace tern::server {
namespace {

TEST(Histogram, BucketsAreUpperBoundsInclusive) {
  Histogram h({1, 2, 5});
  for (double v : {0.5, 1.0, 1.5, 2.0, 4.9, 5.0, 7.0, -3.0}) h.observe(v);
  h.observe(std::numeric_limits<double>::quiet_NaN());  // ignored
  const HistogramSnapshot s = h.snapshot();
  ASSERT_EQ(s.buckets.size(), 4u);
  EXPECT_EQ(s.buckets[0], 3u);  // 0.5, 1.0 (== bound), -3
  EXPECT_EQ(s.buckets[1], 2u);  // 1.5, 2.0
  EXPECT_EQ(s.buckets[2], 2u);  // 4.9, 5.0
  EXPECT_EQ(s.buckets[3], 1u);  // 7 -> +Inf
  EXPECT_EQ(s.count, 8u);
  EXPECT_DOUBLE_EQ(s.sum, 0.5 + 1 + 1.5 + 2 + 4.9 + 5 + 7 - 3);
}

TEST(Histogram, RejectsBadBounds) {
  EXPECT_THROW(Histogram({1, 1}), std::invalid_argument);
  EXPECT_THROW(Histogram({2, 1}), std::invalid_argument);
  EXPECT_THROW(Histogram({1, std::numeric_limits<double>::infinity()}), std::invalid_argument);
  EXPECT_NO_THROW(Histogram({}));  // only +Inf: a sum and a count
}

TEST(Histogram, RendersCumulativeBucketsSumAndCount) {
  Histogram h({0.1, 0.25, 1});
  for (double v : {0.05, 0.2, 0.2, 0.9, 3.0}) h.observe(v);
  std::ostringstream o;
  render_histogram(o, "x_seconds", "Some latency.", h.snapshot());
  const test::PromText p = test::parse_prom(o.str());
  EXPECT_EQ(p.type.at("x_seconds"), "histogram");
  EXPECT_EQ(p.help.at("x_seconds"), "Some latency.");
  EXPECT_EQ(p.at("x_seconds_bucket{le=\"0.1\"}"), 1);
  EXPECT_EQ(p.at("x_seconds_bucket{le=\"0.25\"}"), 3);
  EXPECT_EQ(p.at("x_seconds_bucket{le=\"1\"}"), 4);
  EXPECT_EQ(p.at("x_seconds_bucket{le=\"+Inf\"}"), 5);
  EXPECT_EQ(p.at("x_seconds_count"), 5);
  EXPECT_NEAR(p.at("x_seconds_sum"), 4.35, 1e-12);
  // Buckets in increasing `le` order, +Inf last, then _sum and _count.
  ASSERT_EQ(p.order.size(), 6u);
  EXPECT_EQ(p.order[3], "x_seconds_bucket{le=\"+Inf\"}");
  EXPECT_EQ(p.order[4], "x_seconds_sum");
  EXPECT_EQ(p.order[5], "x_seconds_count");
}

TEST(Histogram, EmptyRendersZeros) {
  std::ostringstream o;
  render_histogram(o, "y", "h", Histogram({1}).snapshot());
  const test::PromText p = test::parse_prom(o.str());
  EXPECT_EQ(p.at("y_bucket{le=\"1\"}"), 0);
  EXPECT_EQ(p.at("y_bucket{le=\"+Inf\"}"), 0);
  EXPECT_EQ(p.at("y_count"), 0);
  EXPECT_EQ(p.at("y_sum"), 0);
}

TEST(Histogram, NumbersAreShortAndExact) {
  EXPECT_EQ(prom_number(0.25), "0.25");
  EXPECT_EQ(prom_number(120), "120");
  EXPECT_EQ(prom_number(0.005), "0.005");
  EXPECT_EQ(prom_number(std::numeric_limits<double>::infinity()), "+Inf");
  const double third = 1.0 / 3.0;
  EXPECT_EQ(std::strtod(prom_number(third).c_str(), nullptr), third);
}

TEST(Histogram, ServerBoundsAreValid) {
  // The bounds tern serve uses construct (strictly increasing, finite).
  for (const auto* b : {&buckets::kTimeToFirstToken, &buckets::kInterToken, &buckets::kRequestDuration,
                        &buckets::kRequestCpuSeconds}) {
    EXPECT_NO_THROW(Histogram{*b});
    EXPECT_GE(b->size(), 8u);
  }
}

}  // namespace
}  // namespace tern::server
