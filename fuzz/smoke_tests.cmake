# Included by the top-level CMakeLists.txt in a normal (non-fuzz) build with tests: when clang++ and its
# libFuzzer runtime (Debian: clang, libclang-rt-14-dev) are installed, configures and builds this same source
# tree a second time with clang and -DDLASIM_FUZZ=ON into ${CMAKE_BINARY_DIR}/fuzz-build (only the fuzz
# targets and the libraries they need), and adds one ctest per target, "fuzz: <target> smoke", which runs
# the target for 20000 inputs (at most 30 s) on a scratch copy of fuzz/corpus/<target>/ (fuzz/smoke.cmake).
# Without clang this prints a message and adds nothing.
find_program(DLASIM_CLANGXX NAMES clang++ clang++-14 DOC "clang++ for the fuzz targets' build")
set(_dlasim_fuzz_runtime "")
if(DLASIM_CLANGXX)
  execute_process(COMMAND ${DLASIM_CLANGXX} -print-runtime-dir OUTPUT_VARIABLE _dlasim_rt_dir
                  OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE _dlasim_rt_rc)
  if(_dlasim_rt_rc EQUAL 0 AND _dlasim_rt_dir)
    file(GLOB _dlasim_fuzz_runtime "${_dlasim_rt_dir}/libclang_rt.fuzzer*.a"
         "${_dlasim_rt_dir}/*/libclang_rt.fuzzer*.a")
  endif()
endif()

if(NOT DLASIM_CLANGXX OR NOT _dlasim_fuzz_runtime)
  message(STATUS "dlasim: clang++ or its libFuzzer runtime not found (Debian: clang libclang-rt-14-dev); "
                 "the fuzz smoke tests are skipped")
  return()
endif()
message(STATUS "dlasim: fuzz smoke tests with ${DLASIM_CLANGXX} (build in ${CMAKE_BINARY_DIR}/fuzz-build)")

include(ExternalProject)
if(CMAKE_GENERATOR MATCHES "Make")
  set(_dlasim_fuzz_build_cmd "$(MAKE)" fuzz_all)  # shares the outer make's job server (-j)
else()
  set(_dlasim_fuzz_build_cmd ${CMAKE_COMMAND} --build <BINARY_DIR> --target fuzz_all)
endif()
ExternalProject_Add(dlasim_fuzz_build
  SOURCE_DIR ${PROJECT_SOURCE_DIR}
  BINARY_DIR ${CMAKE_BINARY_DIR}/fuzz-build
  PREFIX ${CMAKE_BINARY_DIR}/fuzz-build-ep
  CMAKE_ARGS -DCMAKE_CXX_COMPILER=${DLASIM_CLANGXX} -DDLASIM_FUZZ=ON -DDLASIM_BUILD_TESTS=OFF
             -DCMAKE_BUILD_TYPE=Release
  BUILD_COMMAND ${_dlasim_fuzz_build_cmd}
  BUILD_ALWAYS ON  # the sources are this tree's: let the inner build decide what is out of date
  INSTALL_COMMAND ""
)

foreach(t config layer_table npy onnx)
  add_test(NAME "fuzz: ${t} smoke"
           COMMAND ${CMAKE_COMMAND}
                   -DFUZZER=${CMAKE_BINARY_DIR}/fuzz-build/fuzz/fuzz_${t}
                   -DCORPUS=${PROJECT_SOURCE_DIR}/fuzz/corpus/${t}
                   -DSCRATCH=${CMAKE_BINARY_DIR}/fuzz-smoke/${t}
                   -P ${PROJECT_SOURCE_DIR}/fuzz/smoke.cmake)
  set_tests_properties("fuzz: ${t} smoke" PROPERTIES TIMEOUT 180 LABELS fuzz)
endforeach()
