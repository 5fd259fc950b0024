// SPDX-License-Identifier: MIT
// memset, memcpy and memmove: the compiler emits calls to them for struct copies and zeroing,
// and a freestanding image must bring its own. One string instruction each.
#include <stddef.h>

extern "C" void *memset(void *dest, int value, size_t count)
{
    void *d = dest;
    asm volatile("rep stosb" : "+D"(d), "+c"(count) : "a"(value) : "memory");
    return dest;
}

extern "C" void *memcpy(void *dest, const void *src, size_t count)
{
    void *d = dest;
    asm volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(count) : : "memory");
    return dest;
}

extern "C" void *memmove(void *dest, const void *src, size_t count)
{
    auto *d = static_cast<unsigned char *>(dest);
    const auto *s = static_cast<const unsigned char *>(src);
    if (d <= s || d >= s + count) {
        return memcpy(dest, src, count);
    }
    // Overlapping with dest above src: copy backwards, from the last byte.
    unsigned char *d_last = d + count - 1;
    const unsigned char *s_last = s + count - 1;
    asm volatile("std; rep movsb; cld" : "+D"(d_last), "+S"(s_last), "+c"(count) : : "memory");
    return dest;
}
