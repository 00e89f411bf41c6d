// Starting and stopping the one simulation of a process, so that every thread's stack is unwound and the
// sanitizers keep track of the stack in use.
//
// SystemC frees the stack of a thread process still suspended when the simulation ends without unwinding it:
// the destructors of its locals (waves, pass lists) never run. And its coroutine switches (QuickThreads)
// leave AddressSanitizer believing that the main stack is the last thread's, so that ASan cannot unpoison the
// main stack when sc_main throws afterwards and reports false stack errors. These two functions close both
// gaps; built without ASan, simulate() is sc_start().
#pragma once

namespace dlasim::hw {

// Runs the elaborated simulation until no event is left or a process calls sc_stop(), then tells ASan (when
// built with it) that the main stack is current again. Use it instead of sc_core::sc_start().
void simulate();

// Stops the simulation from inside a thread process: kills every other thread process of the simulation that
// has not terminated — each unwinds at once (IEEE 1666 kill, sc_unwind_exception), destroying its locals —
// then calls sc_stop(). The calling process must return after it.
void stop_simulation();

}  // namespace dlasim::hw
