# Flags for everything that runs on the build machine or in the root OS's user space:
# tools, unit tests, fuzzers. Ring-0 and ring-3 host images use freestanding.cmake instead.
set(MICROV_HOST_WARNINGS -Wall -Wextra -Wpedantic -Wconversion -Wshadow -Werror)

set(MICROV_SANITIZER_FLAGS "")
if(MICROV_SANITIZE)
  set(MICROV_SANITIZER_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
endif()
set(MICROV_COVERAGE_FLAGS "")
if(MICROV_COVERAGE)
  set(MICROV_COVERAGE_FLAGS -fprofile-instr-generate -fcoverage-mapping)
endif()

# microv_host_target(TARGET): applies the project's warnings, sanitizers and coverage to TARGET.
function(microv_host_target target)
  target_compile_options(${target} PRIVATE ${MICROV_HOST_WARNINGS} ${MICROV_SANITIZER_FLAGS} ${MICROV_COVERAGE_FLAGS})
  target_link_options(${target} PRIVATE ${MICROV_SANITIZER_FLAGS} ${MICROV_COVERAGE_FLAGS})
endfunction()
