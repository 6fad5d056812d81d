// A map with a size bound that drops the least recently used entry first.
// Not thread-safe (the plugin runs on Mosquitto's one thread).
#pragma once

#include <cstddef>
#include <list>
#include <string>
#include <unordered_map>
#include <utility>

namespace switchboard::mosquitto_plugin {

template <typename Value>
class LruMap {
 public:
  explicit LruMap(std::size_t capacity) : capacity_(capacity < 1 ? 1 : capacity) {}

  // The entry, now the most recently used; nullptr when absent.
  Value* Find(const std::string& key) {
    const auto it = index_.find(key);
    if (it == index_.end()) return nullptr;
    order_.splice(order_.begin(), order_, it->second);
    return &it->second->second;
  }

  // Inserts or replaces; drops the least recently used entry when full.
  Value& Put(const std::string& key, Value value) {
    if (Value* existing = Find(key)) {
      *existing = std::move(value);
      return *existing;
    }
    if (index_.size() >= capacity_) {
      index_.erase(order_.back().first);
      order_.pop_back();
    }
    order_.emplace_front(key, std::move(value));
    index_.emplace(key, order_.begin());
    return order_.front().second;
  }

  void Clear() {
    index_.clear();
    order_.clear();
  }
  std::size_t size() const { return index_.size(); }

  // A smaller bound drops the oldest entries at once.
  void SetCapacity(std::size_t capacity) {
    capacity_ = capacity < 1 ? 1 : capacity;
    while (index_.size() > capacity_) {
      index_.erase(order_.back().first);
      order_.pop_back();
    }
  }

 private:
  std::size_t capacity_;
  std::list<std::pair<std::string, Value>> order_;  // most recent first
  std::unordered_map<std::string, typename std::list<std::pair<std::string, Value>>::iterator>
      index_;
};

}  // namespace switchboard::mosquitto_plugin
