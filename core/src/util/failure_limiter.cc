#include "util/failure_limiter.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "util/ip_address.h"

namespace switchboard {

FailureLimiter::FailureLimiter(FailureLimits limits) : limits_(limits) {
  if (limits_.burst < 1 || limits_.refill.count() <= 0 || limits_.max_clients < 1) {
    throw std::invalid_argument("failure limits: burst, refill and max_clients must be positive");
  }
  overflow_.tokens = limits_.burst;
}

std::string FailureLimiter::KeyOf(std::string_view address) {
  const std::optional<IpAddress> ip = ParseIpAddress(address);
  if (!ip) return std::string(address);
  if (ip->is_v4()) return ip->ToString();
  IpAddress prefix = *ip;
  std::fill(prefix.bytes.begin() + 8, prefix.bytes.end(), 0);
  return prefix.ToString() + "/64";
}

void FailureLimiter::Refill(Bucket& bucket, Clock::time_point now) const {
  if (now <= bucket.updated) return;
  const double earned = std::chrono::duration<double, std::milli>(now - bucket.updated).count() /
                        static_cast<double>(limits_.refill.count());
  bucket.tokens = std::min<double>(limits_.burst, bucket.tokens + earned);
  bucket.updated = now;
}

void FailureLimiter::SweepFull(Clock::time_point now) {
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    Refill(it->second, now);
    it = it->second.tokens >= limits_.burst ? buckets_.erase(it) : std::next(it);
  }
}

FailureLimiter::Bucket& FailureLimiter::Find(const std::string& key, Clock::time_point now) {
  if (const auto it = buckets_.find(key); it != buckets_.end()) return it->second;
  if (buckets_.size() >= limits_.max_clients &&
      (!last_sweep_ || now - *last_sweep_ >= std::chrono::seconds(1))) {
    last_sweep_ = now;
    SweepFull(now);
  }
  if (buckets_.size() >= limits_.max_clients) {
    ++overflowed_;
    return overflow_;
  }
  Bucket& bucket = buckets_[key];
  bucket.tokens = limits_.burst;
  bucket.updated = now;
  return bucket;
}

FailureLimiter::Attempt FailureLimiter::Acquire(std::string_view address, Clock::time_point now) {
  Attempt attempt;
  attempt.key = KeyOf(address);
  std::lock_guard<std::mutex> lock(mutex_);
  Bucket& bucket = Find(attempt.key, now);
  attempt.overflow = &bucket == &overflow_;
  Refill(bucket, now);
  if (bucket.tokens >= 1) {
    bucket.tokens -= 1;
    return attempt;
  }
  const double missing_ms = (1 - bucket.tokens) * static_cast<double>(limits_.refill.count());
  // Rounded up to whole milliseconds; the slack absorbs floating-point
  // error (4000.0000001 ms is 4000 ms, not 4001).
  attempt.retry_after =
      std::chrono::milliseconds(std::max<long long>(1, std::llround(std::ceil(missing_ms - 1e-6))));
  return attempt;
}

void FailureLimiter::Succeeded(const Attempt& attempt, Clock::time_point now) {
  if (attempt.refused()) return;
  std::lock_guard<std::mutex> lock(mutex_);
  if (attempt.overflow) {
    Refill(overflow_, now);
    overflow_.tokens = std::min<double>(limits_.burst, overflow_.tokens + 1);
    return;
  }
  const auto it = buckets_.find(attempt.key);
  // Swept while in flight (its bucket had refilled): nothing to give back.
  if (it == buckets_.end()) return;
  Refill(it->second, now);
  it->second.tokens = std::min<double>(limits_.burst, it->second.tokens + 1);
  if (it->second.tokens >= limits_.burst) buckets_.erase(it);
}

std::size_t FailureLimiter::TrackedForTest() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return buckets_.size();
}

std::uint64_t FailureLimiter::overflowed() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return overflowed_;
}

}  // namespace switchboard
