# Freestanding x86-64 ELF images for the host's ring 0 (microkernel) and ring 3 (extensions):
# clang + lld, C++20, no exceptions, RTTI, libc or start files, and no x87/MMX/SSE/AVX code in
# either ring: nothing saves the root VM's or a guest's FPU state across an exit, so MicroV must
# never touch it behind their backs. Ring 0 also gets no red zone.
if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  message(FATAL_ERROR "MicroV's images need clang: configure with CC=clang CXX=clang++")
endif()
find_program(MICROV_LLD NAMES ld.lld ld.lld-14 REQUIRED)

set(MICROV_FREESTANDING_FLAGS
  --target=x86_64-unknown-none-elf -ffreestanding -fno-builtin -nostdinc++
  -fno-exceptions -fno-rtti -fno-asynchronous-unwind-tables -fno-unwind-tables
  -fno-threadsafe-statics -fno-stack-protector -fno-pic -fno-pie -fno-common
  -fno-omit-frame-pointer -ffunction-sections -fdata-sections -mgeneral-regs-only
  -Wall -Wextra -Wpedantic -Wconversion -Wshadow -Werror)

set(MICROV_RING0_FLAGS -mno-red-zone -mcmodel=kernel)
set(MICROV_RING3_FLAGS -mcmodel=small)

# microv_image(TARGET RING 0|3 LINKER_SCRIPT file SOURCES ...): a static, non-PIE ELF image
# linked by lld with the given script. Freestanding targets never see host sanitizer flags.
function(microv_image target)
  cmake_parse_arguments(IMG "" "RING;LINKER_SCRIPT" "SOURCES;INCLUDES" ${ARGN})
  add_executable(${target} ${IMG_SOURCES})
  if(IMG_RING STREQUAL "0")
    set(ring_flags ${MICROV_RING0_FLAGS})
  elseif(IMG_RING STREQUAL "3")
    set(ring_flags ${MICROV_RING3_FLAGS})
  else()
    message(FATAL_ERROR "microv_image(${target}): RING must be 0 or 3")
  endif()
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CXX>:${MICROV_FREESTANDING_FLAGS} ${ring_flags} $<$<CONFIG:Release>:-O2> $<$<CONFIG:Debug>:-O1 -g>>
    $<$<COMPILE_LANGUAGE:ASM>:--target=x86_64-unknown-none-elf>)
  target_include_directories(${target} PRIVATE ${IMG_INCLUDES})
  target_link_options(${target} PRIVATE --target=x86_64-unknown-none-elf -fuse-ld=lld -nostdlib -static
    -Wl,--no-pie -Wl,-T,${IMG_LINKER_SCRIPT} -Wl,--gc-sections -Wl,-z,max-page-size=4096
    -Wl,-z,noexecstack -Wl,--build-id=none)
  set_target_properties(${target} PROPERTIES LINK_DEPENDS ${IMG_LINKER_SCRIPT} SUFFIX ".elf")
endfunction()
