#include "util/stop_check.hpp"

namespace seedline {
namespace {

thread_local const std::function<void()>* t_check = nullptr;

}  // namespace

StopCheckScope::StopCheckScope(const std::function<void()>& check) : previous_(t_check) { t_check = &check; }

StopCheckScope::~StopCheckScope() { t_check = previous_; }

void poll_stop() {
  if (t_check != nullptr && *t_check) (*t_check)();
}

}  // namespace seedline
