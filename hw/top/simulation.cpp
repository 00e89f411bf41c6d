#include "hw/top/simulation.hpp"

#include <pthread.h>

#include <vector>

#include <systemc>

#if defined(__SANITIZE_ADDRESS__)
#define DLASIM_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DLASIM_ASAN 1
#endif
#endif

#ifdef DLASIM_ASAN
#include <sanitizer/common_interface_defs.h>
#endif

namespace dlasim::hw {

namespace {

// Tells ASan that the calling thread runs on its own (pthread) stack again. SystemC 2.3.4 announces its
// switches into thread coroutines but not its return to the main stack after a thread ends (an abort switch),
// nor the main stack's bounds (it passes none); ASan then keeps the last thread's bounds for the main stack.
void resync_sanitizer_stack() {
#ifdef DLASIM_ASAN
  pthread_attr_t attr;
  if (pthread_getattr_np(pthread_self(), &attr) != 0) return;
  void* bottom = nullptr;
  size_t size = 0;
  const bool ok = pthread_attr_getstack(&attr, &bottom, &size) == 0;
  pthread_attr_destroy(&attr);
  if (!ok) return;
  __sanitizer_start_switch_fiber(nullptr, bottom, size);
  __sanitizer_finish_switch_fiber(nullptr, nullptr, nullptr);
#endif
}

void collect_threads(const std::vector<sc_core::sc_object*>& objects, std::vector<sc_core::sc_process_handle>& out) {
  for (sc_core::sc_object* object : objects) {
    const sc_core::sc_process_handle process(object);
    if (process.valid() && !process.terminated() &&
        (process.proc_kind() == sc_core::SC_THREAD_PROC_ || process.proc_kind() == sc_core::SC_CTHREAD_PROC_)) {
      out.push_back(process);
    }
    collect_threads(object->get_child_objects(), out);
  }
}

}  // namespace

void simulate() {
  sc_core::sc_start();
  resync_sanitizer_stack();
}

void stop_simulation() {
  std::vector<sc_core::sc_process_handle> threads;
  collect_threads(sc_core::sc_get_top_level_objects(), threads);
  const sc_core::sc_process_handle self = sc_core::sc_get_current_process_handle();
  for (sc_core::sc_process_handle& process : threads) {
    if (process != self && !process.terminated()) process.kill();
  }
  sc_core::sc_stop();
}

}  // namespace dlasim::hw
