#include "backoff.h"

#include <algorithm>
#include <cmath>

namespace switchboard::agent {

std::chrono::milliseconds BackoffDelay(const ReconnectPolicy& policy, int failures, double unit) {
  const double max_delay = std::max(1, policy.max_delay_ms);
  const double initial = std::clamp<double>(policy.initial_delay_ms, 1, max_delay);
  // 2^failures overflows nothing here: the exponent is capped where the base
  // already exceeds any int.
  const double base = std::min(max_delay, initial * std::exp2(std::clamp(failures, 0, 40)));
  const double jitter = std::clamp(policy.jitter, 0.0, 1.0);
  const double u = std::clamp(unit, 0.0, 1.0);
  const double delay = std::min(max_delay, base * (1.0 - jitter + 2.0 * jitter * u));
  return std::chrono::milliseconds(std::max<long long>(1, std::llround(delay)));
}

std::chrono::milliseconds Jittered(std::chrono::milliseconds period, double fraction, double unit) {
  const double f = std::clamp(fraction, 0.0, 1.0);
  const double u = std::clamp(unit, 0.0, 1.0);
  const double value = static_cast<double>(period.count()) * (1.0 - f + 2.0 * f * u);
  return std::chrono::milliseconds(std::max<long long>(1, std::llround(value)));
}

UnitRandom::UnitRandom() : engine_(std::random_device{}()) {}

double UnitRandom::operator()() {
  const double value = distribution_(engine_);
  return value < 1.0 ? value : 0.0;  // libstdc++ may return 1.0 (LWG 2524)
}

}  // namespace switchboard::agent
